package dev.vcnn.models;

import dev.vcnn.engine.nn.Module;

/**
 * A classifier that can give up its last layer for transfer learning: {@link #featureExtractor()} computes what the
 * last linear layer took, {@link #featureWidth()} values per image. {@link TransferModel} puts a new head on it.
 * Models imported from other formats (ONNX) implement it where their graph ends in a linear classifier.
 */
public interface Backbone {
    /** The model up to the input of its last linear layer: [N, …] images → [N, featureWidth()] (or [N, C, 1, 1]). */
    Module featureExtractor();

    /** The last linear layer's input width. */
    int featureWidth();
}
