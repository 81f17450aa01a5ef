// Package openblas links OpenBLAS into programs built with the "openblas"
// tag, for gonum's netlib bindings, and exposes the OpenBLAS-only calls
// fastblas needs. It is a package of its own because a package using cgo
// cannot also hold Go assembly, and fastblas holds the pure-Go kernel.
// Without the tag it is empty.
package openblas
