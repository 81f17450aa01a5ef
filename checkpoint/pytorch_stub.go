package checkpoint

import "fmt"

func openPyTorch(path string) (weightFile, error) {
	return nil, fmt.Errorf("checkpoint: %s: PyTorch checkpoints are not supported yet", path)
}
