package audioproc

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkProcessor times one 20 ms frame through Playout and Capture and
// reports it as a share of one core in real time (100 % = the frame takes
// 20 ms). The variants show what each stage and the sample rate cost.
func BenchmarkProcessor(b *testing.B) {
	for _, v := range []struct {
		name string
		cfg  Config
	}{
		{"48k/all", Config{}},
		{"48k/echo-only", Config{DisableNoise: true, DisableGain: true}},
		{"48k/noise+gain-only", Config{DisableEcho: true}},
		{"48k/all/tail256ms", Config{EchoTail: 256 * time.Millisecond}},
		{"32k/all", Config{SampleRate: 32000}},
		{"16k/all", Config{SampleRate: 16000}},
	} {
		b.Run(v.name, func(b *testing.B) {
			p, err := New(v.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			rate := p.cfg.SampleRate
			n := rate / 50
			far := toInt16(burstySignal(rate*2, 1, 3000))
			mic := toInt16(add(scale(toFloat(far), 0.5), burstySignal(rate*2, 2, 1000)))
			frame := make([]int16, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at := (i * n) % (len(far) - n)
				p.Playout(far[at : at+n])
				copy(frame, mic[at:at+n])
				p.Capture(frame)
			}
			perFrame := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perFrame, "ns/frame")
			b.ReportMetric(perFrame/float64(20*time.Millisecond)*100, "%core")
		})
	}
}

// BenchmarkDelayEstimator times the estimator alone per 10 ms block (an
// estimate, the costly part, runs every 20th block) at 48 kHz.
func BenchmarkDelayEstimator(b *testing.B) {
	for _, maxDelay := range []time.Duration{500 * time.Millisecond, time.Second} {
		b.Run(fmt.Sprintf("max%v", maxDelay), func(b *testing.B) {
			est := newDelayEstimator(rate, int(maxDelay.Seconds()*rate))
			far := toInt16(burstySignal(rate*4, 1, 3000))
			mic := toInt16(burstySignal(rate*4, 2, 3000))
			block := rate / 100
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				at := (i * block) % (len(far) - block)
				est.push(far[at:at+block], mic[at:at+block])
			}
			perBlock := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perBlock, "ns/block")
			b.ReportMetric(perBlock/float64(10*time.Millisecond)*100, "%core")
		})
	}
}
