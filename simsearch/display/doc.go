// Package display turns search results and training records into pictures: image grids
// (PNG), and later inline galleries and charts for notebooks and HTML reports. It is the
// only package that knows about presentation; index, models and datasets never import it.
package display
