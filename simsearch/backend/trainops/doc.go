// Package trainops fills in what GoMLX v0.26.0's pure-Go backend ("go", a.k.a. simplego)
// lacks for training convolutional and recurrent models, without forking GoMLX:
//
//   - Pad (the gradient of Slice), built from Concatenate and BroadcastInDim;
//   - Reverse (the gradient of convolutions), built from Slice and Concatenate;
//   - SelectAndScatterMax (the gradient of max-pooling), for non-overlapping windows,
//     built from Reshape, Transpose, ArgMinMax and a one-hot mask;
//   - ConvGeneral with empty strides or dilations (as convolution gradients emit them),
//     filled in with ones;
//   - a DotGeneral gradient rule built from DotGeneral itself: GoMLX's stock rule
//     materialises a broadcast product (for a 10,000-word output layer ~13 GB) that XLA
//     fuses away but a plain interpreter cannot.
//
// Extended wraps a backend with the missing ops; InstallGradients registers the gradient
// rules. Each is tested against finite differences.
package trainops
