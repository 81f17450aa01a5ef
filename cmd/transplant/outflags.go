package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/safetensors"
)

// outputFlags say how a command that writes a model directory (run, apply,
// extend) writes its weights.
type outputFlags struct {
	dtype     string
	shardSize string
	checksums bool
}

func (o *outputFlags) register(f *pflag.FlagSet) {
	f.StringVar(&o.dtype, "dtype", "", "dtype of the new tables: f32, f16, bf16 (default: the base's)")
	f.StringVar(&o.shardSize, "max-shard-size", "5GB", "largest weights file, as transformers' max_shard_size")
	f.BoolVar(&o.checksums, "checksum-outputs", false, "record every output file's SHA-256 in transplant.json (a pass of SHA-256 over the output; the inputs' are always recorded)")
}

// set checks the flags and sets what they say in wo.
func (o *outputFlags) set(wo *transplant.WriteOptions) error {
	if o.dtype != "" {
		wo.Dtype = safetensors.Dtype(strings.ToUpper(o.dtype))
		if !wo.Dtype.IsFloat() {
			return fmt.Errorf("--dtype %q: want f32, f16 or bf16", o.dtype)
		}
	}
	var err error
	if wo.MaxShardSize, err = parseSize(o.shardSize); err != nil {
		return fmt.Errorf("--max-shard-size: %w", err)
	}
	wo.Checksums = o.checksums
	return nil
}
