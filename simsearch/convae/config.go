package convae

import (
	"encoding/json"
	"fmt"
)

// Config describes a convolutional autoencoder. Build one with Parity or Small and the
// builder methods; every field has a documented default.
type Config struct {
	Name string `json:"name"`
	// Channels of the four encoder convolutions (the decoder mirrors them).
	// Parity: 16, 32, 64, 128 (the tutorial's model).
	Channels []int `json:"channels"`
	// Code is the size of a dense bottleneck after the convolutions; 0 (the parity
	// default) means the code is the flattened 2×2×Channels[last] feature map.
	Code int `json:"code"`
	// Noise is the standard deviation of Gaussian noise added to the input while training
	// (a denoising autoencoder); 0 (default) disables it.
	Noise float64 `json:"noise"`
	// Conv selects the convolution implementation: "im2col" (default; patches × kernel as
	// one matrix product, fast on the pure-Go backend) or "native" (GoMLX's ConvGeneral,
	// what XLA runs best). Both use the same variables.
	Conv string `json:"conv"`
	// Input is the image size [height, width, channels] the model takes; height and width
	// multiples of 16, channels 1 (grayscale) or 3 (RGB). Empty means CIFAR-10's 32×32×3
	// (models saved before the field existed).
	Input []int `json:"input,omitempty"`
}

// InputShape returns the image size the model takes.
func (c Config) InputShape() (h, w, ch int) {
	if len(c.Input) != 3 {
		return 32, 32, 3
	}
	return c.Input[0], c.Input[1], c.Input[2]
}

// ImageSize is the number of values of one input image (h·w·ch).
func (c Config) ImageSize() int {
	h, w, ch := c.InputShape()
	return h * w * ch
}

// Builder configures a model; finish with Done.
type Builder struct{ c Config }

// Parity is the original tutorial's model: 4 × [conv 3×3 pad 1 → ReLU → max-pool 2] with
// channels 3→16→32→64→128, code 2×2×128 = 512 floats; the decoder is 4 × [transposed conv
// kernel 2 stride 2 → ReLU] back to 3 channels.
func Parity() *Builder {
	return &Builder{Config{Name: "parity", Channels: []int{16, 32, 64, 128}, Conv: "im2col"}}
}

// Small is a half-width parity model (8→16→32→64 channels, 256-d code), twice as fast.
func Small() *Builder {
	return &Builder{Config{Name: "small", Channels: []int{8, 16, 32, 64}, Conv: "im2col"}}
}

// Denoising is the parity architecture trained as a denoising autoencoder (input noise
// σ = 0.1), with a 256-d dense bottleneck.
func Denoising() *Builder {
	return &Builder{Config{Name: "denoising", Channels: []int{16, 32, 64, 128}, Code: 256, Noise: 0.1, Conv: "im2col"}}
}

// Preset returns the named builder: parity, small or denoising.
func Preset(name string) (*Builder, error) {
	switch name {
	case "parity":
		return Parity(), nil
	case "small":
		return Small(), nil
	case "denoising":
		return Denoising(), nil
	}
	return nil, fmt.Errorf("unknown model %q (parity, small, denoising)", name)
}

// Channels sets the four encoder widths.
func (b *Builder) Channels(c ...int) *Builder { b.c.Channels = c; return b }

// Code sets a dense bottleneck size (0: none).
func (b *Builder) Code(n int) *Builder { b.c.Code = n; return b }

// Noise sets the training input noise σ (0: none).
func (b *Builder) Noise(sigma float64) *Builder { b.c.Noise = sigma; return b }

// Conv selects "im2col" or "native" convolutions.
func (b *Builder) Conv(impl string) *Builder { b.c.Conv = impl; return b }

// Input sets the image size: height and width multiples of 16 (four 2× poolings),
// channels 1 or 3. Default 32×32×3.
func (b *Builder) Input(h, w, ch int) *Builder { b.c.Input = []int{h, w, ch}; return b }

// Done validates and returns the configuration.
func (b *Builder) Done() (Config, error) {
	c := b.c
	if len(c.Channels) != 4 {
		return c, fmt.Errorf("convae: %d channel widths, want 4", len(c.Channels))
	}
	for _, ch := range c.Channels {
		if ch < 1 {
			return c, fmt.Errorf("convae: channel width %d < 1", ch)
		}
	}
	if c.Code < 0 || c.Noise < 0 {
		return c, fmt.Errorf("convae: negative code size or noise")
	}
	if h, w, ch := c.InputShape(); h < 16 || w < 16 || h%16 != 0 || w%16 != 0 || h*w > 1024*1024 || (ch != 1 && ch != 3) {
		return c, fmt.Errorf("convae: input %d×%d×%d: height and width must be multiples of 16 (16 to 1024), channels 1 or 3", h, w, ch)
	}
	if c.Conv != "im2col" && c.Conv != "native" {
		return c, fmt.Errorf("convae: conv %q (want im2col or native)", c.Conv)
	}
	return c, nil
}

// CodeDim is the length of the code vector.
func (c Config) CodeDim() int {
	if c.Code > 0 {
		return c.Code
	}
	h, w, _ := c.InputShape()
	return (h / 16) * (w / 16) * c.Channels[3]
}

// FLOPs counts multiply-adds ×2 for one image forward pass (convolutions, transposed
// convolutions and dense layers; activations and pooling are not counted).
func (c Config) FLOPs() float64 {
	var f float64
	h, w, ch0 := c.InputShape()
	in, area := ch0, h*w
	for _, ch := range c.Channels {
		f += 2 * float64(area*9*in*ch)
		in, area = ch, area/4
	}
	flat := area * c.Channels[3]
	if c.Code > 0 {
		f += 2 * 2 * float64(flat*c.Code)
	}
	outs := []int{c.Channels[2], c.Channels[1], c.Channels[0], ch0}
	in = c.Channels[3]
	for _, o := range outs {
		f += 2 * float64(area*in*4*o)
		in, area = o, area*4
	}
	return f
}

func (c Config) String() string { b, _ := json.Marshal(c); return string(b) }
