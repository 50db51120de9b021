// Package notebooks holds corpushunt's GoNB notebooks (*.ipynb) and the test that executes
// them headless with Jupyter, checks their outputs, exports them to HTML and opens the
// export in headless Chromium. The notebooks themselves stay thin: every cell calls
// tested library functions.
package notebooks
