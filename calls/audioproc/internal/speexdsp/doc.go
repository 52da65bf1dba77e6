// Package speexdsp wraps the echo canceller (MDF) and the preprocessor (noise
// suppression, residual echo suppression, gain control) of SpeexDSP 1.2.1,
// whose C sources are vendored in this directory so cgo compiles them on
// Linux, macOS and Windows without a system library.
//
// Vendored files: mdf.c, preprocess.c, fftwrap.c, filterbank.c, smallft.c and
// the headers they include, unchanged from speexdsp_1.2.1.orig.tar.gz
// (Debian bookworm source package speexdsp 1.2.1-1, sha256
// 8c777343e4a6399569c72abc38a95b24db56882c83dbdb6c6424a5f4aeb54d3d), under
// the BSD licence in COPYING. include/speex/speexdsp_config_types.h replaces the
// file configure would generate. The build is floating point with the
// smallft FFT (no FFTW, no assembly), warnings compiled out.
//
// The package holds no Go state besides the C handles; it is not safe for
// concurrent use, and it never retains the slices it is given.
package speexdsp
