package fastblas

import "gonum.org/v1/gonum/blas"

// AddGram adds AᵀA to dst (width × width, row-major) for the n rows of a
// (row-major, stride lda): the product in float32 on Float32's kernel, the
// sum in float64, so that a Gram matrix summed over many blocks of rows
// keeps float64's precision across them. scratch holds the block's
// product, width² values.
func AddGram(dst []float64, n, width int, a []float32, lda int, scratch []float32) {
	if n == 0 {
		return
	}
	Float32().Sgemm(blas.Trans, blas.NoTrans, width, width, n, 1, a, lda, a, lda, 0, scratch, width)
	for i, v := range scratch[:width*width] {
		dst[i] += float64(v)
	}
}
