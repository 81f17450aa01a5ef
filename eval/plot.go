package eval

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// A Chart is one PNG figure of a report.
type Chart struct {
	// File is the PNG's name in the report directory; Section the title of
	// the table it illustrates; Alt its text description.
	File, Section, Alt string
	PNG                []byte
}

// Charts draws the report's figures: bits-per-byte per model, per part of
// the text when scores are split, and for each
// reconstructed table the distribution of cosine similarities per method.
func (r *Report) Charts() ([]Chart, error) {
	var cs []Chart
	if len(r.Models) > 0 {
		p, err := r.bitsPerByteChart()
		if err != nil {
			return nil, err
		}
		png, err := render(p, chartWidth(len(r.Models)), chartHeight)
		if err != nil {
			return nil, err
		}
		cs = append(cs, Chart{File: "bits-per-byte.png", Section: "Bits per byte", Alt: "bits per byte of each model", PNG: png})
	}
	if r.hasSplit() {
		p, n, err := r.splitChart()
		if err != nil {
			return nil, err
		}
		png, err := render(p, splitChartWidth(n), chartHeight)
		if err != nil {
			return nil, err
		}
		cs = append(cs, Chart{File: "bits-per-byte-split.png", Section: splitTitle, Alt: "bits per byte of each model on each part of the text", PNG: png})
	}
	if rr := r.Reconstruction; rr != nil {
		for _, tr := range rr.Tables {
			p, err := cosineChart(tr)
			if err != nil {
				return nil, err
			}
			png, err := render(p, chartWidth(len(tr.Methods)), chartHeight)
			if err != nil {
				return nil, err
			}
			cs = append(cs, Chart{
				File:    "reconstruction-" + strings.ReplaceAll(tr.Table.String(), " ", "-") + ".png",
				Section: "Reconstruction: " + tr.Table.String(),
				Alt:     "cosine similarity of rebuilt to true rows, " + tr.Table.String(),
				PNG:     png,
			})
		}
	}
	return cs, nil
}

// Charts are sized for reading on a screen at 96 dpi: wide enough for the
// title, and for the labels of n categories.
const chartHeight = 11 * vg.Centimeter

func chartWidth(n int) vg.Length {
	return max(18*vg.Centimeter, vg.Length(n)*3*vg.Centimeter+4*vg.Centimeter)
}

var (
	barColor      = color.RGBA{R: 0x4c, G: 0x72, B: 0xb0, A: 0xff}
	baselineColor = color.RGBA{R: 0xc4, G: 0x4e, B: 0x52, A: 0xff}
	// seriesColors tell the models of a grouped chart apart, in turn.
	seriesColors = []color.Color{barColor,
		color.RGBA{R: 0xdd, G: 0x84, B: 0x52, A: 0xff},
		color.RGBA{R: 0x55, G: 0xa8, B: 0x68, A: 0xff},
		color.RGBA{R: 0x81, G: 0x72, B: 0xb3, A: 0xff},
		color.RGBA{R: 0x93, G: 0x78, B: 0x60, A: 0xff},
		color.RGBA{R: 0xda, G: 0x8b, B: 0xc3, A: 0xff},
	}
)

// splitBarWidth is the width of one model's bar in the split chart.
const splitBarWidth = 26

// splitChartWidth leaves room for three groups of n bars.
func splitChartWidth(n int) vg.Length {
	return max(18*vg.Centimeter, vg.Points(float64(3*n*splitBarWidth)/0.7)+4*vg.Centimeter)
}

// splitChart draws, for each part of the text, one bar per model with a
// split; it returns the plot and the number of models drawn.
func (r *Report) splitChart() (*plot.Plot, int, error) {
	p := plot.New()
	p.Title.Text = "Bits per byte by part of the text (lower is better)"
	if r.Text != "" {
		p.Title.Text += " on " + r.Text
	}
	p.Y.Label.Text = "bits per byte of the part"
	var split []ModelScore
	for _, m := range r.Models {
		if m.Split != nil {
			split = append(split, m)
		}
	}
	w := vg.Points(splitBarWidth)
	for j, m := range split {
		var vals plotter.Values
		labels := plotter.XYLabels{}
		for i, part := range m.Split.Parts() {
			vals = append(vals, part.BitsPerByte)
			if part.Bytes > 0 {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: part.BitsPerByte})
				labels.Labels = append(labels.Labels, fmt.Sprintf("%.2f", part.BitsPerByte))
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, 0, fmt.Errorf("eval: chart: %w", err)
		}
		bars.Color, bars.LineStyle.Width = seriesColors[j%len(seriesColors)], 0
		bars.Offset = (vg.Length(j) - vg.Length(len(split)-1)/2) * w
		p.Add(bars)
		p.Legend.Add(m.Name, bars)
		if len(labels.Labels) == 0 {
			continue
		}
		vl, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, 0, fmt.Errorf("eval: chart: %w", err)
		}
		for i := range vl.TextStyle {
			vl.TextStyle[i].XAlign, vl.TextStyle[i].YAlign = -0.5, 0
			vl.TextStyle[i].Font.Size = vg.Points(8)
		}
		vl.Offset.X = bars.Offset
		p.Add(vl)
	}
	shares, same := r.splitShares()
	names := []string{"new tokens", "right after a new token", "shared tokens"}
	for i := range names {
		if same {
			names[i] += " (" + shares[i] + ")"
		}
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Min = 0
	p.Y.Max *= 1.25 // room for the value labels and the legend
	p.Legend.Top = true
	return p, len(split), nil
}

func (r *Report) bitsPerByteChart() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Bits per byte (lower is better)"
	if r.Text != "" {
		p.Title.Text += " on " + r.Text
	}
	p.Y.Label.Text = "bits per byte"
	vals := make(plotter.Values, len(r.Models))
	names := make([]string, len(r.Models))
	labels := plotter.XYLabels{}
	for i, m := range r.Models {
		vals[i], names[i] = m.BitsPerByte, m.Name
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: m.BitsPerByte})
		labels.Labels = append(labels.Labels, fmt.Sprintf("%.3f", m.BitsPerByte))
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(28))
	if err != nil {
		return nil, fmt.Errorf("eval: chart: %w", err)
	}
	bars.Color, bars.LineStyle.Width = barColor, 0
	p.Add(bars)
	vl, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("eval: chart: %w", err)
	}
	for i := range vl.TextStyle {
		vl.TextStyle[i].XAlign, vl.TextStyle[i].YAlign = -0.5, 0
	}
	p.Add(vl)
	for _, m := range r.Models {
		if !m.Baseline {
			continue
		}
		line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: m.BitsPerByte}, {X: float64(len(r.Models)) - 0.5, Y: m.BitsPerByte}})
		if err != nil {
			return nil, fmt.Errorf("eval: chart: %w", err)
		}
		line.Color, line.Dashes = baselineColor, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		p.Legend.Add("baseline: "+m.Name, line)
		p.Legend.Top = true
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Min = 0
	p.Y.Max *= 1.25 // room for the value labels and the legend
	return p, nil
}

func cosineChart(tr TableReconstruction) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Reconstruction of held-out rows: " + tr.Table.String()
	p.Y.Label.Text = "cosine similarity to the true row"
	p.X.Label.Text = "box: quartiles, line: median, whiskers: 1.5 IQR"
	names := make([]string, len(tr.Methods))
	for i, m := range tr.Methods {
		names[i] = m.Method
		b, err := plotter.NewBoxPlot(vg.Points(24), float64(i), plotter.Values(m.Cosines))
		if err != nil {
			return nil, fmt.Errorf("eval: chart: %s: %w", m.Method, err)
		}
		b.FillColor = barColor
		b.MedianStyle.Color = color.White
		b.MedianStyle.Width = vg.Points(1.5)
		p.Add(b)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(names))-0.4
	p.Y.Max = 1
	p.Add(plotter.NewGrid())
	return p, nil
}

// render draws p as a PNG of the given size.
func render(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	wt, err := p.WriterTo(w, h, "png")
	if err != nil {
		return nil, fmt.Errorf("eval: chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("eval: chart: %w", err)
	}
	return buf.Bytes(), nil
}
