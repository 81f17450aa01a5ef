package omp

// WorkingMemory returns the bytes Solve allocates beyond its inputs and
// its Solution for a problem of the given shape: the Gram column cache,
// the batch's correlations and factorizations, and the workers' buffers.
// Solve sizes these to opts.MaxMemory, so a caller planning a run (a dry
// run, say) learns here how much of that budget a problem this size
// actually takes.
func WorkingMemory(anchors, hidden, targets int, opts Options) (int64, error) {
	if anchors < 1 || hidden < 1 || targets < 1 {
		return 0, nil
	}
	o, err := opts.resolved(anchors)
	if err != nil {
		return 0, err
	}
	size := int64(4)
	if o.Float64 {
		size = 8
	}
	batch, capacity, err := plan(anchors, hidden, targets, size, o)
	if err != nil {
		return 0, err
	}
	return engineBytes(anchors, hidden, batch, capacity, o, size), nil
}

// engineBytes is what newEngine allocates for these sizes; engine.bytes
// measures the same from the slices themselves.
func engineBytes(n, hid, batch, capacity int, o Options, size int64) int64 {
	nb := int64((n + tileRows - 1) / tileRows)
	K, bt := int64(o.K), int64(batch)
	floats := nb*int64(capacity)*tileRows + // Gram cache
		bt*nb*tileRows + bt*nb + bt*K + // correlations, block maxima, γ
		int64(fillBatch)*int64(hid) + int64(fillBatch)*nb*tileRows // products' inputs and outputs
	if size == 8 {
		floats += int64(fillBatch)*int64(hid) + int64(n)*int64(hid) // widened targets and atoms
	}
	if o.Normalize {
		floats += int64(n) * int64(hid) // normalized screening rows
	}
	b := size * floats
	b += 8 * bt * (K*(K+1)/2 + 2*K) // Cholesky factors and solves, in float64
	b += 4 * 2 * bt * K             // support slots, sorted
	return b + int64(o.Threads)*bt*workerBytesPerTarget(size)
}
