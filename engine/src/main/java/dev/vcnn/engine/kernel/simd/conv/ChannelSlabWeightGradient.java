package dev.vcnn.engine.kernel.simd.conv;

import static dev.vcnn.engine.kernel.simd.SimdSpecies.F;

import dev.vcnn.engine.kernel.simd.gemm.GemmPacking;
import dev.vcnn.engine.kernel.simd.gemm.SimdGemm;
import jdk.incubator.vector.FloatVector;

/**
 * Convolution weight gradient of wide stride-1 layers (VGG's 64 → 64 at 56×56, 128 → 128 at 28×28) with
 * the output channels along the vector lanes, on the zero-padded rows of {@link SimdConv2d}'s padded-rows
 * layout. Letters as in {@code Conv2d}; f = p·Wp + q runs over the P·Wp columns of the padded width:
 *
 * <pre>gradW[k, t] = Σ_{n, f} gradOut[n, k, f] · x_n[f + tap(t)]</pre>
 *
 * The GEMM form of this sum ({@link SimdGemm#rowsTransposedProduct}) has to transpose the column matrix,
 * CgRS × P·Wp values per image, into its panels; here only the gradient, Kg × P·Wp values (nine times
 * fewer for a 3×3 layer), is transposed, into slabs of {@link SimdGemm#NR} channels ([f][NR]), and every
 * input value is one broadcast: a register tile of {@value #TILE_TAPS} taps × two slabs (4 vectors of
 * channels) = 24 accumulators, 4 loads and 6 broadcasts per 24 FMAs, over a block of {@value #BLOCK}
 * positions whose gradient rows stay in L2. The Wp − Q columns past each output row carry a zero gradient
 * (so they add exact zeros for finite inputs, as in the GEMM form).
 *
 * <p>{@link SimdConv2d} runs it per image on padded rows and per block of images for small planes, in the
 * parts of its GEMM form, each part into its own tap-major partial ({@link DirectWeightGradient#sumTapMajorParts}
 * adds them in part order): results do not depend on the thread count.
 */
final class ChannelSlabWeightGradient {
    private static final int L = F.length();
    private static final int NR = SimdGemm.NR;
    /** Taps per register tile. */
    static final int TILE_TAPS = 6;
    /** Positions per block. */
    static final int BLOCK = 512;

    private ChannelSlabWeightGradient() {}

    /** n rounded up to whole vectors: the positions {@link #accumulate} runs over for n columns. */
    static int wholeVectors(int n) {
        return (n + L - 1) / L * L;
    }

    /**
     * partial[base + t·Kg + k] += Σ_{f &lt; nPad} y[k·nPad + f] · x[f + rowAt[t]] for every tap t and channel k
     * &lt; Kg (a whole number of tiles): y transposed into slabs in {@code gt} (nPad·Kg floats), then the
     * register tiles over blocks of {@link #BLOCK} positions. {@code x} must be readable L − 1 floats past
     * the last tap's run of nPad.
     */
    static void accumulate(float[] x, float[] y, float[] gt, int nPad, int kg, int[] rowAt, float[] partial, int base) {
        int crs = rowAt.length;
        for (int slab = 0; slab < kg / NR; slab++) {
            GemmPacking.packTransposed(y, slab * NR * nPad, nPad, nPad, NR, gt, slab * nPad * NR);
        }
        for (int f0 = 0; f0 < nPad; f0 += BLOCK) {
            int f1 = Math.min(nPad, f0 + BLOCK);
            for (int slab = 0; slab < kg / NR; slab += 2) {
                for (int t0 = 0; t0 < crs; t0 += TILE_TAPS) {
                    tile(x, gt, slab * nPad * NR, (slab + 1) * nPad * NR, f0, f1, rowAt, t0, crs - 1,
                            partial, base + t0 * kg + slab * NR, kg);
                }
            }
        }
    }

    /**
     * partial[at + t·kk …+4L] += Σ_{f0 ≤ f &lt; f1} gt slabs at f · x[f + rowAt[t0 + t]] for t &lt; 6 (a short last
     * tile repeats the last tap and does not store it).
     */
    private static void tile(float[] x, float[] gt, int slabA, int slabB, int f0, int f1, int[] rowAt, int t0,
                             int last, float[] partial, int at, int kk) {
        int o0 = rowAt[Math.min(t0, last)];
        int o1 = rowAt[Math.min(t0 + 1, last)];
        int o2 = rowAt[Math.min(t0 + 2, last)];
        int o3 = rowAt[Math.min(t0 + 3, last)];
        int o4 = rowAt[Math.min(t0 + 4, last)];
        int o5 = rowAt[Math.min(t0 + 5, last)];
        int a0 = at;
        int a1 = at + Math.min(1, last - t0) * kk;
        int a2 = at + Math.min(2, last - t0) * kk;
        int a3 = at + Math.min(3, last - t0) * kk;
        int a4 = at + Math.min(4, last - t0) * kk;
        int a5 = at + Math.min(5, last - t0) * kk;
        var c00 = FloatVector.fromArray(F, partial, a0);
        var c01 = FloatVector.fromArray(F, partial, a0 + L);
        var c02 = FloatVector.fromArray(F, partial, a0 + NR);
        var c03 = FloatVector.fromArray(F, partial, a0 + NR + L);
        var c10 = FloatVector.fromArray(F, partial, a1);
        var c11 = FloatVector.fromArray(F, partial, a1 + L);
        var c12 = FloatVector.fromArray(F, partial, a1 + NR);
        var c13 = FloatVector.fromArray(F, partial, a1 + NR + L);
        var c20 = FloatVector.fromArray(F, partial, a2);
        var c21 = FloatVector.fromArray(F, partial, a2 + L);
        var c22 = FloatVector.fromArray(F, partial, a2 + NR);
        var c23 = FloatVector.fromArray(F, partial, a2 + NR + L);
        var c30 = FloatVector.fromArray(F, partial, a3);
        var c31 = FloatVector.fromArray(F, partial, a3 + L);
        var c32 = FloatVector.fromArray(F, partial, a3 + NR);
        var c33 = FloatVector.fromArray(F, partial, a3 + NR + L);
        var c40 = FloatVector.fromArray(F, partial, a4);
        var c41 = FloatVector.fromArray(F, partial, a4 + L);
        var c42 = FloatVector.fromArray(F, partial, a4 + NR);
        var c43 = FloatVector.fromArray(F, partial, a4 + NR + L);
        var c50 = FloatVector.fromArray(F, partial, a5);
        var c51 = FloatVector.fromArray(F, partial, a5 + L);
        var c52 = FloatVector.fromArray(F, partial, a5 + NR);
        var c53 = FloatVector.fromArray(F, partial, a5 + NR + L);
        for (int f = f0; f < f1; f++) {
            var g0 = FloatVector.fromArray(F, gt, slabA + f * NR);
            var g1 = FloatVector.fromArray(F, gt, slabA + f * NR + L);
            var g2 = FloatVector.fromArray(F, gt, slabB + f * NR);
            var g3 = FloatVector.fromArray(F, gt, slabB + f * NR + L);
            var v = FloatVector.broadcast(F, x[f + o0]);
            c00 = g0.fma(v, c00);
            c01 = g1.fma(v, c01);
            c02 = g2.fma(v, c02);
            c03 = g3.fma(v, c03);
            v = FloatVector.broadcast(F, x[f + o1]);
            c10 = g0.fma(v, c10);
            c11 = g1.fma(v, c11);
            c12 = g2.fma(v, c12);
            c13 = g3.fma(v, c13);
            v = FloatVector.broadcast(F, x[f + o2]);
            c20 = g0.fma(v, c20);
            c21 = g1.fma(v, c21);
            c22 = g2.fma(v, c22);
            c23 = g3.fma(v, c23);
            v = FloatVector.broadcast(F, x[f + o3]);
            c30 = g0.fma(v, c30);
            c31 = g1.fma(v, c31);
            c32 = g2.fma(v, c32);
            c33 = g3.fma(v, c33);
            v = FloatVector.broadcast(F, x[f + o4]);
            c40 = g0.fma(v, c40);
            c41 = g1.fma(v, c41);
            c42 = g2.fma(v, c42);
            c43 = g3.fma(v, c43);
            v = FloatVector.broadcast(F, x[f + o5]);
            c50 = g0.fma(v, c50);
            c51 = g1.fma(v, c51);
            c52 = g2.fma(v, c52);
            c53 = g3.fma(v, c53);
        }
        // A short tile's repeated taps hold the same sums as the real one: the order of stores does not matter.
        c53.intoArray(partial, a5 + NR + L);
        c52.intoArray(partial, a5 + NR);
        c51.intoArray(partial, a5 + L);
        c50.intoArray(partial, a5);
        c43.intoArray(partial, a4 + NR + L);
        c42.intoArray(partial, a4 + NR);
        c41.intoArray(partial, a4 + L);
        c40.intoArray(partial, a4);
        c33.intoArray(partial, a3 + NR + L);
        c32.intoArray(partial, a3 + NR);
        c31.intoArray(partial, a3 + L);
        c30.intoArray(partial, a3);
        c23.intoArray(partial, a2 + NR + L);
        c22.intoArray(partial, a2 + NR);
        c21.intoArray(partial, a2 + L);
        c20.intoArray(partial, a2);
        c13.intoArray(partial, a1 + NR + L);
        c12.intoArray(partial, a1 + NR);
        c11.intoArray(partial, a1 + L);
        c10.intoArray(partial, a1);
        c03.intoArray(partial, a0 + NR + L);
        c02.intoArray(partial, a0 + NR);
        c01.intoArray(partial, a0 + L);
        c00.intoArray(partial, a0);
    }
}
