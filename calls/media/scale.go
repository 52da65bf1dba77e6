package media

// fitWithin returns the largest even size ≤ maxW × maxH with w × h's aspect ratio (w × h itself when it
// already fits or when no limit is set).
func fitWithin(w, h, maxW, maxH int) (int, int) {
	if (maxW <= 0 || w <= maxW) && (maxH <= 0 || h <= maxH) {
		return w, h
	}
	nw, nh := w, h
	if maxW > 0 && nw > maxW {
		nw, nh = maxW, h*maxW/w
	}
	if maxH > 0 && nh > maxH {
		nw, nh = w*maxH/h, maxH
	}
	return max(nw&^1, 2), max(nh&^1, 2)
}

// scaleFrame returns f resized to w × h: an area average when shrinking (so 720p → 360p → 180p stays
// clean), nearest neighbour when growing. Number and Captured carry over.
func scaleFrame(f *VideoFrame, w, h int) *VideoFrame {
	if f.Width == w && f.Height == h {
		return f
	}
	out := NewVideoFrame(w, h)
	out.Number, out.Captured = f.Number, f.Captured
	scalePlane(out.Y, w, h, f.Y, f.Width, f.Height)
	cw, ch := (w+1)/2, (h+1)/2
	scw, sch := (f.Width+1)/2, (f.Height+1)/2
	scalePlane(out.U, cw, ch, f.U, scw, sch)
	scalePlane(out.V, cw, ch, f.V, scw, sch)
	return out
}

func scalePlane(dst []byte, dw, dh int, src []byte, sw, sh int) {
	x0, x1 := spans(dw, sw)
	for y := 0; y < dh; y++ {
		y0 := y * sh / dh
		y1 := max((y+1)*sh/dh, y0+1)
		row := dst[y*dw : (y+1)*dw]
		for x := range row {
			sum, n := 0, 0
			for sy := y0; sy < y1; sy++ {
				line := src[sy*sw : (sy+1)*sw]
				for sx := x0[x]; sx < x1[x]; sx++ {
					sum += int(line[sx])
				}
				n += x1[x] - x0[x]
			}
			row[x] = byte((sum + n/2) / n)
		}
	}
}

// spans maps each destination column to the source columns it averages (at least one).
func spans(d, s int) (from, to []int) {
	from, to = make([]int, d), make([]int, d)
	for i := range d {
		from[i] = i * s / d
		to[i] = max((i+1)*s/d, from[i]+1)
	}
	return from, to
}
