// Package datasets finds the corpora corpushunt works on.
//
// Data is looked for, in order, in: the directory given explicitly (the CLI's --data
// flag), $CORPUSHUNT_DATA, ../shared/datasets next to the module checkout, ./data in the
// checkout, and the user cache directory (~/.cache/corpushunt/datasets), which is where
// downloads go. Each corpus has its own package (datasets/cifar10, datasets/yelp) that
// reads its files; this package only decides where to look and reports where it looked
// when nothing is found.
package datasets
