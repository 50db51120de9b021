// Package notebooks holds corpushunt's GoNB notebooks (*.ipynb) and the test that executes
// them headless with Jupyter, checks their outputs, exports them to HTML and opens the
// export in headless Chromium. The notebooks themselves stay thin: every cell calls
// tested library functions.
//
//   - quickstart.ipynb: CIFAR-10 by raw pixels, a first search by example in a few cells.
//   - cifar10.ipynb: train a convolutional autoencoder on CIFAR-10 without labels, index
//     its codes in a tuned IVF index, and hunt by item, image file and class; outliers and
//     near duplicates.
//   - yelp.ipynb: Yelp review sentences searched by typed text with bag of words, and with
//     a DAAE text autoencoder when its index is given (CORPUSHUNT_YELP_INDEX).
//   - your-images.ipynb: a folder of your own images (one line to change), by pixels and
//     by an autoencoder trained on it, scored by labels when it has them.
//   - your-text.ipynb: a text, CSV or JSONL file of your own, searched by typed text and
//     by item; near duplicates.
//   - labelling.ipynb: from search to labelled data on CIFAR-10: search by one example,
//     tag, "more like these" over rounds, export a labelled folder tree, estimate how
//     common the class is with a 95% interval, clusters and a map.
//
// Each runs small with CORPUSHUNT_NB_SIZE=small (as the test runs them); what they build
// (models, indexes, exports) goes under out/<size>/ beside the notebooks, or
// $CORPUSHUNT_NB_OUT.
package notebooks
