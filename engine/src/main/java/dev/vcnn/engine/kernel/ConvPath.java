package dev.vcnn.engine.kernel;

/**
 * The ways a SIMD convolution can run one pass of a layer; a {@link ConvPlan} names one for each pass.
 * Which passes a path serves is in its comment; the rules that choose it are in the SIMD planner.
 */
public enum ConvPath {
    /** One input and one output channel per group (depthwise): every pass plane by plane, rows along the lanes. */
    DEPTHWISE,
    /**
     * Input planes smaller than the kernel (3×3 on 2×2): the layer unrolled into one matrix between an image's
     * input values and its output values, every pass one GEMM over the batch.
     */
    UNROLLED,
    /** Winograd's F(2×2, 3×3): the forward pass, and the input gradient as the transposed layer's forward. */
    WINOGRAD,
    /** Blocks of images copied zero-padded with their rows interleaved, one GEMM per block (small output planes). */
    IMAGE_BLOCKS,
    /** {@link #IMAGE_BLOCKS} for the weight gradient, with the output channels along the lanes instead of a GEMM. */
    IMAGE_BLOCKS_CHANNEL_SLABS,
    /** Register tiles over the output positions flattened across row ends (few input channels). */
    FLAT,
    /**
     * A direct convolution along output rows: the forward pass of one input channel, of narrow rows or of few
     * output channels; the weight gradient of few input channels, which also sums the bias gradient.
     */
    DIRECT,
    /** The weight gradient with the output channels along the lanes, where they are exactly one vector. */
    LANE_CHANNELS,
    /** One image at a time copied zero-padded, a GEMM that packs its panels from the padded rows: no im2col. */
    PADDED_ROWS,
    /** {@link #PADDED_ROWS} for the weight gradient, with the output channels along the lanes instead of a GEMM. */
    PADDED_ROWS_CHANNEL_SLABS,
    /**
     * {@link #PADDED_ROWS} for a strided forward pass: each image copied zero-padded and split by the parity (the
     * stride phase) of its rows and columns, so that every tap's operand row is again one run; no im2col.
     */
    PHASED_ROWS,
    /**
     * A 1×1, stride-1, unpadded layer: the input (or, for the input gradient, the output) is the GEMM operand; for
     * small output planes the forward gathers blocks of images side by side into one operand. On 1×1 planes, one
     * group, every pass (the weight gradient too) is one GEMM of the batch's [N × C] and [N × K] matrices.
     */
    POINTWISE,
    /**
     * im2col and a GEMM: per image for the forward pass (for small output planes, per block of images side by
     * side), over chunks of the batch for the weight gradient.
     */
    IM2COL,
    /** The input gradient as the GEMM Wᵀ · gradOut followed by col2im (per block of images for small planes). */
    COL2IM,
    /** Nothing to compute: the weight gradient of an empty batch is zero. */
    NONE
}
