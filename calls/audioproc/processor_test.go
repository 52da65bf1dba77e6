package audioproc

import (
	"errors"
	"testing"
	"time"
)

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want error
	}{
		{Config{SampleRate: 44100}, ErrSampleRate},
		{Config{EchoTail: time.Millisecond}, ErrConfig},
		{Config{MaxDelay: -time.Second}, ErrConfig},
		{Config{NoiseSuppressDB: 90}, ErrConfig},
		{Config{TargetLevelDBFS: 3}, ErrConfig},
	} {
		if _, err := New(c.cfg); !errors.Is(err, c.want) {
			t.Errorf("New(%+v) = %v, want %v", c.cfg, err, c.want)
		}
	}
}

// TestProcessorOddInput feeds frames of every awkward shape and calls after
// Close: nothing may panic, and a partial block passes through untouched.
func TestProcessorOddInput(t *testing.T) {
	for _, rate := range []int{16000, 32000, 48000} {
		p, err := New(Config{SampleRate: rate})
		if err != nil {
			t.Fatal(err)
		}
		loud := make([]int16, 3*p.BlockSize()+7)
		for i := range loud {
			loud[i] = int16((i%2)*65535 - 32768)
		}
		for _, n := range []int{0, 1, p.BlockSize() - 1, p.BlockSize(), 2*p.BlockSize() + 7} {
			p.Playout(loud[:n])
			frame := append([]int16(nil), loud[:n]...)
			out := p.Capture(frame)
			if len(out) != n {
				t.Fatalf("rate %d: Capture(%d samples) returned %d", rate, n, len(out))
			}
			if tail := n % p.BlockSize(); tail > 0 && out[n-1] != loud[n-1] {
				t.Errorf("rate %d: the partial block was changed", rate)
			}
		}
		p.Playout(make([]int16, 10*rate)) // longer than the history
		p.Close()
		p.Close()
		frame := append([]int16(nil), loud...)
		p.Playout(frame)
		if out := p.Capture(frame); &out[0] != &frame[0] || out[5] != loud[5] {
			t.Errorf("rate %d: Capture after Close changed the frame", rate)
		}
	}
}

// FuzzCapture runs arbitrary bytes through Playout and Capture as samples.
func FuzzCapture(f *testing.F) {
	f.Add([]byte{0, 0, 255, 127, 0, 128}, uint8(2))
	f.Add(make([]byte, 2000), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, split uint8) {
		p, err := New(Config{SampleRate: 16000})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		x := make([]int16, len(b)/2)
		for i := range x {
			x[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		}
		k := min(int(split)*16, len(x))
		p.Playout(x[:k])
		p.Capture(x[k:])
		p.Capture(x)
	})
}
