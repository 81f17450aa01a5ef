package main

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// eval's --methods entries: one method or one per table, with the head
// calibrated to the base (+cal) or to the donor as well (+dcal).
func TestParseChoices(t *testing.T) {
	for _, tt := range []struct {
		entry, calibration string
		input, head        string
		cal, toDonor, auto bool
		err                string
	}{
		{entry: "knn", input: "knn"},
		{entry: "subword/mean", input: "subword", head: "mean"},
		{entry: "knn+cal", calibration: "c.txt", input: "knn", cal: true},
		{entry: "mean/knn+dcal", calibration: "c.txt", input: "mean", head: "knn", cal: true, toDonor: true},
		{entry: "auto", auto: true},
		{entry: "knn+cal", err: "--calibration-text"},
		{entry: "knn+dcal", err: "knn+dcal fits the head"},
		{entry: "nosuch", err: "nosuch"},
	} {
		var f methodFlags
		f.register(pflag.NewFlagSet("test", pflag.ContinueOnError))
		f.calibration = tt.calibration
		got, err := f.parseChoices(tt.entry)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one mentioning %q", tt.entry, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %v, %d choices", tt.entry, err, len(got))
		}
		c := got[0]
		if c.auto != tt.auto || c.CalibrateHead != tt.cal || c.CalibrateToDonor != tt.toDonor || c.name != tt.entry {
			t.Errorf("%s: %+v", tt.entry, c)
		}
		if tt.auto {
			continue
		}
		if c.Input.Name() != tt.input || (tt.head == "") != (c.Output == nil) || (c.Output != nil && c.Output.Name() != tt.head) {
			t.Errorf("%s: input %v, head %v", tt.entry, c.Input, c.Output)
		}
	}
}
