package main

import (
	"io"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows one bar per stage on a terminal, and nothing otherwise
// (logs and pipes get the final report only).
type progress struct {
	w     io.Writer
	on    bool
	mu    sync.Mutex
	stage string
	bar   *progressbar.ProgressBar
}

func newProgress(w io.Writer, quiet bool) *progress {
	f, isFile := w.(*os.File)
	return &progress{w: w, on: !quiet && isFile && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) update(stage string, done, total int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stage != p.stage || p.bar == nil {
		if p.bar != nil {
			p.bar.Finish()
		}
		p.stage = stage
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(stage),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		}
		if stage == "writing" {
			opts = append(opts, progressbar.OptionShowBytes(true))
		}
		p.bar = progressbar.NewOptions64(total, opts...)
	}
	p.bar.Set64(done)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
