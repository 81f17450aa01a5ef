package checkpoint

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/transplant-dev/transplant/safetensors"
)

// outputFile is what WriteDir writes a file through: an *os.File, or a
// test's stand-in for one.
type outputFile interface {
	io.Writer
	io.WriterAt
	io.Closer
}

// A shardOut is one weights file being written. Its tensors are written at
// their offsets, in any order, and a trailer checksums the file behind the
// longest run of finished tensors from its start.
type shardOut struct {
	name, path string
	f          outputFile
	data       int64 // offset of the first tensor's bytes: the header's length
	tensors    []safetensors.TensorInfo
	tr         *trailer

	mu       sync.Mutex
	finished []bool
	prefix   int // tensors [0, prefix) are all finished
}

// at is where tensor i's bytes go in the file.
func (s *shardOut) at(i int) int64 { return s.data + s.tensors[i].Begin }

// size is the file's size once complete.
func (s *shardOut) size() int64 {
	if len(s.tensors) == 0 {
		return s.data
	}
	return s.data + s.tensors[len(s.tensors)-1].End
}

// finish records that tensor i is written and lets the trailer hash as far
// as every tensor before it is.
func (s *shardOut) finish(i int) {
	s.mu.Lock()
	s.finished[i] = true
	for s.prefix < len(s.tensors) && s.finished[s.prefix] {
		s.prefix++
	}
	end := s.data
	if s.prefix > 0 {
		end += s.tensors[s.prefix-1].End
	}
	s.mu.Unlock()
	s.tr.wrote(end)
}

// advance records that tensor i is written up to file offset end, from its
// start: when every tensor before it is finished, the trailer may hash as
// far.
func (s *shardOut) advance(i int, end int64) {
	s.mu.Lock()
	ok := s.prefix == i
	s.mu.Unlock()
	if ok {
		s.tr.wrote(end)
	}
}

// tensorJob is one tensor of the output: which shard, which of its tensors.
type tensorJob struct {
	sh *shardOut
	i  int
}

// writeWeights writes the weights files: every shard's header first, then
// the replaced tensors (each on a goroutine of its own, see
// writeReplacement) and the copied ones (moved by the kernel where it
// can, each shard's on a goroutine of its own) at the same time, each at
// its offset. Building the new tables thus overlaps copying the rest of
// the checkpoint instead of waiting for it, or it for them. Shards are
// copied at once because the kernel writes one file at a time (ext4 holds
// a file's lock through a write): one copy runs on one core, however many
// there are. Apply of an 8.1 GiB checkpoint (two shards, 2 cores) spent
// its last half copying the first shard on one core after the tables
// were done. The tables are built at once because each waits on reads
// and writes of its own: one after the other, the two tables of that
// apply took 7.3 s of its 8.4 s, the cores half idle; at once, 5.8 s.
func (d *dirWriter) writeWeights(tensors []safetensors.TensorInfo) (err error) {
	maxSize := d.opts.MaxShardSize
	if maxSize <= 0 {
		maxSize = DefaultMaxShardSize
	}
	for _, t := range tensors {
		d.total += t.ByteSize()
		d.wroteHead = d.wroteHead || (d.base.archOK && t.Name == d.base.arch.Head)
	}
	shards := safetensors.PlanShards(tensors, maxSize)
	outs := make([]*shardOut, 0, len(shards))
	defer func() {
		if cerr := d.closeShards(outs, err == nil); err == nil {
			err = cerr
		}
	}()
	var built []tensorJob
	copied := make([][]tensorJob, len(shards)) // by shard
	for k, sh := range shards {
		s, err := d.openShard(sh)
		if err != nil {
			return err
		}
		outs = append(outs, s)
		for i, t := range s.tensors {
			if _, ok := d.opts.Replace[t.Name]; ok {
				built = append(built, tensorJob{s, i})
			} else {
				copied[k] = append(copied[k], tensorJob{s, i})
			}
		}
	}
	g, ctx := errgroup.WithContext(d.ctx)
	for _, j := range built {
		g.Go(func() error { return d.writeAll(ctx, []tensorJob{j}, d.writeReplacement) })
	}
	for _, jobs := range copied {
		buf := new([]byte) // for copies the kernel does not make
		g.Go(func() error {
			return d.writeAll(ctx, jobs, func(ctx context.Context, j tensorJob) error { return d.copyTensor(j, buf) })
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(shards) == 1 {
		return nil
	}
	data, err := safetensors.IndexFor(shards).Marshal()
	if err != nil {
		return err
	}
	return d.writeFile(safetensors.IndexName, data)
}

// writeAll writes jobs in order with write, reporting progress after each.
func (d *dirWriter) writeAll(ctx context.Context, jobs []tensorJob, write func(context.Context, tensorJob) error) error {
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := write(ctx, j); err != nil {
			return fmt.Errorf("checkpoint: %s: tensor %q: %w", j.sh.path, j.sh.tensors[j.i].Name, err)
		}
		j.sh.finish(j.i)
		d.progress(j.sh.tensors[j.i].ByteSize())
	}
	return nil
}

// progress adds n written bytes and tells the caller, one report at a time.
func (d *dirWriter) progress(n int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done += n
	if d.opts.Progress != nil {
		d.opts.Progress(d.done, d.total)
	}
}

// openShard creates a weights file, writes its header and starts its
// checksum if asked to.
func (d *dirWriter) openShard(sh safetensors.Shard) (*shardOut, error) {
	path := filepath.Join(d.dir, sh.Name)
	hdr, laid, err := safetensors.Layout(sh.Tensors, map[string]string{"format": "pt"})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	f, err := d.opts.create(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	s := &shardOut{name: sh.Name, path: path, f: f, data: int64(len(hdr)), tensors: laid, finished: make([]bool, len(laid))}
	if d.opts.Checksums {
		s.tr = trail(path)
	}
	if _, err := f.Write(hdr); err != nil {
		s.tr.finish(-1)
		f.Close()
		return nil, fmt.Errorf("checkpoint: %s: writing header: %w", path, err)
	}
	s.tr.wrote(s.data)
	return s, nil
}

// closeShards closes the weights files; when they are complete it waits for
// their checksums (if any) and records them, and otherwise drops them.
func (d *dirWriter) closeShards(outs []*shardOut, complete bool) error {
	var first error
	for _, s := range outs {
		if err := s.f.Close(); err != nil && first == nil {
			first = fmt.Errorf("checkpoint: %s: %w", s.path, err)
		}
		size := s.size()
		if !complete || first != nil {
			size = -1
		}
		sum, err := s.tr.finish(size)
		switch {
		case size < 0:
		case err != nil:
			first = fmt.Errorf("checkpoint: checksum of %s: %w", s.path, err)
		default:
			d.written = append(d.written, WrittenFile{Name: s.name, Bytes: size, SHA256: sum})
		}
	}
	return first
}

// copyTensor copies the base's tensor to its place, through *buf (made
// when first needed) where the kernel cannot copy it.
func (d *dirWriter) copyTensor(j tensorJob, buf *[]byte) error {
	t := j.sh.tensors[j.i]
	r, err := d.base.Reader(t.Name)
	if err != nil {
		return err
	}
	if *buf == nil {
		*buf = make([]byte, 1<<20)
	}
	return safetensors.CopyAt(j.sh.f, j.sh.at(j.i), r, t.ByteSize(), *buf)
}

// blockBytes bounds the float32 rows a replacement converts at a time.
const blockBytes = 4 << 20

// writeReplacement converts the replacement's rows to the output dtype
// block by block and writes them at the tensor's place. One goroutine
// builds the next block while another writes the last, so that building
// rows and copying them into the page cache overlap; the trailer may hash
// each block as soon as it is written.
func (d *dirWriter) writeReplacement(ctx context.Context, j tensorJob) error {
	t := j.sh.tensors[j.i]
	r := d.opts.Replace[t.Name]
	bytes := blockBytes
	if d.opts.blockBytes > 0 {
		bytes = d.opts.blockBytes
	}
	per := max(1, bytes/(4*r.Cols))
	blockLen := min(per, r.Rows) * r.Cols * t.Dtype.Size()
	free := make(chan []byte, 2) // the two blocks, when not in use
	free <- make([]byte, blockLen)
	free <- make([]byte, blockLen)
	built := make(chan []byte)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(built)
		return buildBlocks(ctx, t, r, per, free, built)
	})
	g.Go(func() error {
		kept := keptWriter{d: d, j: j, r: r, rowBytes: int64(r.Cols * t.Dtype.Size())}
		if r.FillRaw == nil || t.Dtype != r.RawDtype {
			kept.r.Kept = nil // Fill writes every row
		}
		off, row := j.sh.at(j.i), 0
		for b := range built {
			if err := kept.write(b, row, off); err != nil {
				return err
			}
			off += int64(len(b))
			row += len(b) / int(kept.rowBytes)
			j.sh.advance(j.i, off)
			free <- b
		}
		return nil
	})
	return g.Wait()
}

// keptWriter writes a replacement's blocks with its kept rows as the base
// stores them: each kept run is read into the block over what was built
// for it, and the block goes out in one write. Copying each run in the
// kernel instead (copy_file_range) cost a system call and a turn of the
// output file's lock per run, tens of thousands for a 128k-row table
// whose kept rows come in short runs.
type keptWriter struct {
	d        *dirWriter
	j        tensorJob
	r        Replacement
	rowBytes int64
	next     int         // the first kept run not yet wholly written
	src      io.ReaderAt // the base tensor's file, when it stores the tensor as it is
	srcAt    int64       // where the tensor starts in it
	looked   bool
}

// write writes block b, rows from row on, at offset off.
func (w *keptWriter) write(b []byte, row int, off int64) error {
	end := row + len(b)/int(w.rowBytes)
	for ; w.next < len(w.r.Kept) && w.r.Kept[w.next].Row < end; w.next++ {
		k := w.r.Kept[w.next]
		lo, hi := max(k.Row, row), min(k.Row+k.N, end)
		if err := w.readRows(k.From+lo-k.Row, b[int64(lo-row)*w.rowBytes:int64(hi-row)*w.rowBytes]); err != nil {
			return err
		}
		if k.Row+k.N > end {
			break // the run goes on in the next block
		}
	}
	_, err := w.j.sh.f.WriteAt(b, off)
	return err
}

// readRows reads the base tensor's rows from row from on into dst, a whole
// number of rows: a file's section as it is, a tensor a PyTorch file
// stores strided through its reader.
func (w *keptWriter) readRows(from int, dst []byte) error {
	if !w.looked && !w.d.opts.readKept {
		if sr, ok := w.d.base.section(w.r.KeptFrom); ok {
			var base int64
			w.src, base, _ = sr.Outer()
			w.srcAt = base
		}
	}
	w.looked = true
	if w.src != nil {
		_, err := w.src.ReadAt(dst, w.srcAt+int64(from)*w.rowBytes)
		return err
	}
	n := len(dst) / int(w.rowBytes)
	return w.d.base.ReadRawRows(w.r.KeptFrom, from, from+n, dst)
}

// buildBlocks encodes r's rows, per rows at a time, into blocks taken from
// free, and sends each to built in order.
func buildBlocks(ctx context.Context, t safetensors.TensorInfo, r Replacement, per int, free <-chan []byte, built chan<- []byte) error {
	encoded := r.FillRaw != nil && t.Dtype == r.RawDtype
	var rows []float32
	if !encoded {
		rows = make([]float32, min(per, r.Rows)*r.Cols)
	}
	for start := 0; start < r.Rows; start += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw []byte
		select {
		case raw = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		end := min(start+per, r.Rows)
		b := raw[:(end-start)*r.Cols*t.Dtype.Size()]
		var err error
		if encoded {
			err = r.FillRaw(start, end, b)
		} else {
			err = encodeRows(r, start, end, rows[:(end-start)*r.Cols], b, t.Dtype)
		}
		if err != nil {
			return fmt.Errorf("rows [%d, %d): %w", start, end, err)
		}
		select {
		case built <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// encodeRows writes rows [start, end) of r into b in dtype dt, through
// the float32 block.
func encodeRows(r Replacement, start, end int, block []float32, b []byte, dt safetensors.Dtype) error {
	if r.Table != nil {
		for i := start; i < end; i++ {
			copy(block[(i-start)*r.Cols:], r.Table.Data[i*r.Table.Stride:i*r.Table.Stride+r.Cols])
		}
	} else if err := r.Fill(start, end, block); err != nil {
		return err
	}
	return safetensors.FromFloat32(b, block, dt)
}
