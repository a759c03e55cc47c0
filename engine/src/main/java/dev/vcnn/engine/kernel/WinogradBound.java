package dev.vcnn.engine.kernel;

/**
 * The error bound of {@link Conv2d}'s outputs that may be computed by Winograd's F(2×2, 3×3) (see
 * {@link #allowed}): the forward pass of such a layer, and the input gradient of a layer whose
 * {@link #transposed} layer is such a layer.
 *
 * <p>Output (p, q) is y[a][b] of tile (p / 2, q / 2), a = p % 2, b = q % 2, of
 * {@code Y = Aᵀ·[Σ_c (G·g_c·Gᵀ) ⊙ (Bᵀ·d_c·B)]·A} (the matrices are in the SIMD kernel's header), d_c the 4×4
 * window of zero-padded input from padded row 2·(p / 2) and column 2·(q / 2). Rounding, step by step: each
 * value of Bᵀ·d·B is four inputs added in two roundings; of G·g·Gᵀ, one rounding (taken in double); the sum
 * over c, C roundings; Aᵀ·M·A, four; the bias, one. So the output lies within
 * {@code 2·(C + 9)·2⁻²⁴·(T + |bias|)} of the exact convolution, where T is the same computation on absolute
 * values: {@code |Aᵀ|·[Σ_c (|G|·|g_c|·|Gᵀ|) ⊙ (|Bᵀ|·|d_c|·|B|)]·|A|} (the factor 2 as in the direct bound).
 * T is at least the direct bound's Σ|terms|, since the transforms add terms that cancel in exact arithmetic.
 */
public final class WinogradBound {
    private WinogradBound() {}

    /** Fewest input and output channels for Winograd: below them the transforms cost more than they save. */
    public static final int MIN_CHANNELS = 16;

    private static final double U = 0x1p-24;
    /** |Bᵀ|, |G| and |Aᵀ|. */
    private static final double[][] BT = {{1, 0, 1, 0}, {0, 1, 1, 0}, {0, 1, 1, 0}, {0, 1, 0, 1}};
    private static final double[][] G = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}, {0, 0, 1}};
    private static final double[][] AT = {{1, 1, 1, 0}, {0, 1, 1, 1}};

    /** Whether {@link Conv2d#forward} may use Winograd for g: 3×3, stride 1, no dilation, one group, C and K ≥ 16. */
    public static boolean allowed(Conv2dGeometry g) {
        return g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1
                && g.dilationH() == 1 && g.dilationW() == 1 && g.groups() == 1
                && g.inChannels() >= MIN_CHANNELS && g.outChannels() >= MIN_CHANNELS;
    }

    /**
     * The layer whose forward pass is g's input gradient ({@link Conv2dGeometry#transposed}) where g has one, else
     * null: its input gradient may use Winograd when that layer is {@link #allowed}.
     */
    public static Conv2dGeometry transposed(Conv2dGeometry g) {
        return g.transposable() ? g.transposed() : null;
    }

    /** Input value (n, c, h, w) of a layer, h and w inside the image. */
    @FunctionalInterface
    private interface Values {
        double at(int n, int c, int h, int w);
    }

    /**
     * The bound on forward output (n, k, p, q) of g when {@link #allowed}(g): {@code 2·(C + 9)·2⁻²⁴·(T + |bias[k]|)}.
     * Arrays from their offsets, NCHW and [K, C, 3, 3]; bias may be null.
     */
    public static double forward(Conv2dGeometry g, float[] input, int inOff, float[] weight, int wOff,
                                 float[] bias, int bOff, int n, int k, int p, int q) {
        int cc = g.inChannels();
        int hh = g.height();
        int ww = g.width();
        double t = magnitude(g, (ni, c, h, w) -> input[inOff + ((ni * cc + c) * hh + h) * ww + w],
                (kk, c, r, s) -> weight[wOff + ((kk * cc + c) * 3 + r) * 3 + s], n, k, p, q);
        double b = bias == null ? 0 : Math.abs(bias[bOff + k]);
        return 2.0 * (cc + 9) * U * (t + b);
    }

    /**
     * The bound on input-gradient value (n, c, h, w) of g when {@link #allowed}({@link #transposed}(g)): the forward
     * bound of the transposed layer, with gradOut as its input and the flipped weights. Arrays from their offsets,
     * NCHW and [K, C, 3, 3].
     */
    public static double inputGradient(Conv2dGeometry g, float[] gradOut, int goOff, float[] weight, int wOff,
                                       int n, int c, int h, int w) {
        Conv2dGeometry t = transposed(g);
        int kk = g.outChannels();
        int cc = g.inChannels();
        int pp = g.outHeight();
        int qq = g.outWidth();
        double m = magnitude(t, (ni, k, y, x) -> gradOut[goOff + ((ni * kk + k) * pp + y) * qq + x],
                (ci, k, r, s) -> weight[wOff + ((k * cc + ci) * 3 + 2 - r) * 3 + 2 - s], n, c, h, w);
        return 2.0 * (kk + 9) * U * m;
    }

    /** T for output (n, k, p, q) of g, with the weights as a {@code Values} over (k, c, r, s). */
    private static double magnitude(Conv2dGeometry g, Values input, Values weight, int n, int k, int p, int q) {
        int y0 = 2 * (p / 2) - g.padTop();
        int x0 = 2 * (q / 2) - g.padLeft();
        double[][] sum = new double[4][4];
        double[][] d = new double[4][4];
        double[][] f = new double[3][3];
        for (int c = 0; c < g.inChannels(); c++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    int y = y0 + i;
                    int x = x0 + j;
                    boolean inside = y >= 0 && y < g.height() && x >= 0 && x < g.width();
                    d[i][j] = inside ? Math.abs(input.at(n, c, y, x)) : 0;
                }
            }
            for (int r = 0; r < 3; r++) {
                for (int s = 0; s < 3; s++) {
                    f[r][s] = Math.abs(weight.at(k, c, r, s));
                }
            }
            double[][] v = sandwich(BT, d);
            double[][] u = sandwich(G, f);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    sum[i][j] += u[i][j] * v[i][j];
                }
            }
        }
        return sandwich(AT, sum)[p % 2][q % 2];
    }

    /** m·x·mᵀ. */
    private static double[][] sandwich(double[][] m, double[][] x) {
        int rows = m.length;
        int inner = x.length;
        double[][] left = new double[rows][inner];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < inner; j++) {
                for (int l = 0; l < inner; l++) {
                    left[i][j] += m[i][l] * x[l][j];
                }
            }
        }
        double[][] out = new double[rows][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < rows; j++) {
                for (int l = 0; l < inner; l++) {
                    out[i][j] += left[i][l] * m[j][l];
                }
            }
        }
        return out;
    }
}
