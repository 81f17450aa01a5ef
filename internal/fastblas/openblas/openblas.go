//go:build openblas

package openblas

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int num_threads);
// int openblas_get_num_threads(void);
import "C"

// SetThreads sizes OpenBLAS's thread pool for the whole process.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

// Threads reports the size of OpenBLAS's thread pool.
func Threads() int { return int(C.openblas_get_num_threads()) }
