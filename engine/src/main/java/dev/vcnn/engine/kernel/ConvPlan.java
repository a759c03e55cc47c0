package dev.vcnn.engine.kernel;

import java.util.Objects;

/**
 * The path of each pass of one convolution layer at one geometry: what {@link Conv2d#plan} answers.
 *
 * @param forward the forward pass
 * @param inputGradient the input gradient; when {@code inputGradientTransposed}, the path of the forward
 *     pass of {@link Conv2dGeometry#transposed} that computes it
 * @param inputGradientTransposed whether the input gradient runs as the transposed layer's forward pass
 * @param weightGradient the weight gradient
 */
public record ConvPlan(ConvPath forward, ConvPath inputGradient, boolean inputGradientTransposed,
                       ConvPath weightGradient) {
    /** The three passes of a layer. */
    public enum Pass { FORWARD, INPUT_GRADIENT, WEIGHT_GRADIENT }

    public ConvPlan {
        Objects.requireNonNull(forward, "forward");
        Objects.requireNonNull(inputGradient, "inputGradient");
        Objects.requireNonNull(weightGradient, "weightGradient");
    }

    /** The path of one pass. */
    public ConvPath path(Pass pass) {
        return switch (pass) {
            case FORWARD -> forward;
            case INPUT_GRADIENT -> inputGradient;
            case WEIGHT_GRADIENT -> weightGradient;
        };
    }

    /** E.g. {@code forward WINOGRAD, input gradient WINOGRAD (transposed), weight gradient PADDED_ROWS}. */
    @Override
    public String toString() {
        return "forward " + forward + ", input gradient " + inputGradient + (inputGradientTransposed ? " (transposed)" : "")
                + ", weight gradient " + weightGradient;
    }
}
