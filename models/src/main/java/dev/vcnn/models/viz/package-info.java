/**
 * Pictures: training curves, confusion matrices, feature maps, filters, prediction grids and image
 * filters.
 */
package dev.vcnn.models.viz;
