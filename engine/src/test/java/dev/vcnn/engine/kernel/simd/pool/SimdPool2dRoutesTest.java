package dev.vcnn.engine.kernel.simd.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vcnn.engine.kernel.Pool2dGeometry;
import dev.vcnn.engine.kernel.simd.SimdSpecies;
import dev.vcnn.engine.parallel.Parallelism;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which planes each pooling pass sends down the 2×2 vector paths. Those paths equal the reference bit for bit
 * (the contract checks that), so only the routes show a rule that quietly stops using them: the classic window
 * takes them on every plane whose whole-vector loads and stores stay inside the arrays, and nothing else does.
 */
class SimdPool2dRoutesTest {
    private static final int L = SimdSpecies.F.length();

    /** Records the chunks and fallbacks of the passes run through {@link #pool}. */
    private static final class Recorder implements PlaneRoutes {
        final List<int[]> chunks = new ArrayList<>();
        final List<Integer> fallbacks = new ArrayList<>();

        @Override
        public synchronized void chunk(int plane0, int split, int plane1) {
            chunks.add(new int[] {plane0, split, plane1});
        }

        @Override
        public synchronized void fallback(int plane) {
            fallbacks.add(plane);
        }

        /** The chunks in plane order, as "plane0-split-plane1", and forgets them. */
        synchronized String take() {
            chunks.sort(Comparator.comparingInt(c -> c[0]));
            var s = new StringBuilder();
            for (int[] c : chunks) {
                s.append(s.isEmpty() ? "" : " ").append(c[0]).append('-').append(c[1]).append('-').append(c[2]);
            }
            chunks.clear();
            return s.toString();
        }
    }

    private final Recorder routes = new Recorder();
    private final SimdPool2d pool = new SimdPool2d(routes);

    private static Pool2dGeometry twoByTwo(int batch, int channels, int h, int w) {
        return new Pool2dGeometry(batch, channels, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false);
    }

    /** Every plane's 2×2 forward and backward on the vector paths, when the arrays have room past their ends. */
    private String allPasses(Pool2dGeometry g, int inRoom, int outRoom, int inOff, int outOff, Parallelism par) {
        int inN = g.inputShape().numel();
        int outN = g.outputShape().numel();
        float[] in = new float[inOff + inN + inRoom];
        float[] out = new float[outOff + outN + outRoom];
        int[] idx = new int[outOff + outN + outRoom];
        float[] gradIn = new float[inOff + inN + inRoom];
        var s = new StringBuilder();
        pool.maxForward(g, in, inOff, out, outOff, idx, outOff, par);
        s.append("max ").append(routes.take());
        pool.maxBackward(g, out, outOff, idx, outOff, gradIn, inOff, par);
        s.append(" | max grad ").append(routes.take());
        pool.avgForward(g, false, in, inOff, out, outOff, par);
        s.append(" | avg ").append(routes.take());
        pool.avgBackward(g, false, out, outOff, gradIn, inOff, par);
        s.append(" | avg grad ").append(routes.take());
        assertEquals(List.of(), routes.fallbacks, "planes whose 2×2 max gradient fell back to the reference");
        return s.toString();
    }

    @Test
    void theClassicWindowRunsEveryPlaneWithRoomOnTheVectorPaths() {
        var g = twoByTwo(2, 3, 32, 32);
        String all = "max 0-6-6 | max grad 0-6-6 | avg 0-6-6 | avg grad 0-6-6";
        assertEquals(all, allPasses(g, 2 * L, 2 * L, 0, 0, Parallelism.sequential()));
        assertEquals(all, allPasses(g, 2 * L, 2 * L, 1000, 300, Parallelism.of(2)));
        // Arrays that end with the tensor: the last plane's whole-vector loads and stores would leave
        // them, so it alone runs the reference, whatever the offsets are.
        String lastOnReference = "max 0-5-6 | max grad 0-5-6 | avg 0-5-6 | avg grad 0-5-6";
        assertEquals(lastOnReference, allPasses(g, 0, 0, 0, 0, Parallelism.sequential()));
        assertEquals(lastOnReference, allPasses(g, 0, 0, 1000, 300, Parallelism.sequential()));
        // Room after the input only, or after the outputs only.
        assertEquals(lastOnReference, allPasses(g, 2 * L, 0, 1000, 300, Parallelism.sequential()));
        assertEquals(lastOnReference, allPasses(g, 0, 2 * L, 1000, 300, Parallelism.sequential()));
        // A 9×9 plane pools to 4×4 too (its last row and column are in no window).
        assertEquals("max 0-2-2 | max grad 0-2-2 | avg 0-2-2 | avg grad 0-2-2",
                allPasses(twoByTwo(1, 2, 9, 8 * L + 1), 2 * L, 2 * L, 0, 0, Parallelism.sequential()));
    }

    /**
     * Each array of each pass bounds the vector planes by its own room: the last plane takes the vector path
     * only when 2L floats follow the input-sized array's tensor and L the output-sized ones' (the reach of the
     * whole-vector loads and stores), whatever the others have and whatever the offsets are (indices null: no bound).
     */
    @Test
    void eachArrayBoundsTheVectorPlanesByItsOwnRoom() {
        var g = twoByTwo(2, 3, 32, 32);
        int inN = g.inputShape().numel();
        int outN = g.outputShape().numel();
        var par = Parallelism.sequential();
        for (int tight = 0; tight < 3; tight++) {
            int need = tight == 0 ? 2 * L : L;
            for (int room : new int[] {0, need - 1, need}) {
                String expected = room == need ? "0-6-6" : "0-5-6";
                String what = " with array " + tight + " followed by " + room + " floats";
                float[] in = new float[777 + inN + (tight == 0 ? room : 2 * L)];
                float[] out = new float[555 + outN + (tight == 1 ? room : 2 * L)];
                int[] idx = new int[333 + outN + (tight == 2 ? room : 2 * L)];
                pool.maxForward(g, in, 777, out, 555, idx, 333, par);
                assertEquals(expected, routes.take(), "max forward" + what);
                pool.maxBackward(g, out, 555, idx, 333, in, 777, par);
                assertEquals(expected, routes.take(), "max backward" + what);
                if (tight < 2) {
                    pool.avgForward(g, false, in, 777, out, 555, par);
                    assertEquals(expected, routes.take(), "avg forward" + what);
                    pool.avgBackward(g, false, out, 555, in, 777, par);
                    assertEquals(expected, routes.take(), "avg backward" + what);
                }
            }
        }
        pool.maxForward(g, new float[inN + 2 * L], 0, new float[outN + 2 * L], 0, null, 0, par);
        assertEquals("0-6-6", routes.take());
    }

    @Test
    void otherWindowsNeverTakeTheTwoByTwoPaths() {
        int w = 4 * L;
        for (var g : List.of(
                new Pool2dGeometry(1, 2, 8, w, 3, 2, 2, 2, 0, 0, 1, 1, false),
                new Pool2dGeometry(1, 2, 8, w, 2, 3, 2, 2, 0, 0, 1, 1, false),
                new Pool2dGeometry(1, 2, 8, w, 2, 2, 1, 2, 0, 0, 1, 1, false),
                new Pool2dGeometry(1, 2, 8, w, 2, 2, 2, 1, 0, 0, 1, 1, false),
                new Pool2dGeometry(1, 2, 8, w, 2, 2, 2, 2, 1, 0, 1, 1, false),
                new Pool2dGeometry(1, 2, 8, w, 2, 2, 2, 2, 0, 1, 1, 1, false),
                new Pool2dGeometry(1, 2, 9, w + 1, 2, 2, 2, 2, 0, 0, 1, 1, true))) {
            assertEquals("max 0-0-2 | max grad 0-0-2 | avg 0-0-2 | avg grad 0-0-2",
                    allPasses(g, 2 * L, 2 * L, 0, 0, Parallelism.sequential()), g::toString);
        }
        for (var g : List.of(new Pool2dGeometry(1, 2, 8, w, 2, 2, 2, 2, 0, 0, 2, 1, false),
                new Pool2dGeometry(1, 2, 8, w, 2, 2, 2, 2, 0, 0, 1, 2, false))) {
            int outN = g.outputShape().numel();
            pool.maxForward(g, new float[g.inputShape().numel()], 0, new float[outN], 0, new int[outN], 0,
                    Parallelism.sequential());
            assertEquals("0-0-2", routes.take(), g::toString);
        }
    }

    @Test
    void theMaxGradientTakesTheVectorPathFromRowsOfOneVector() {
        String vector = "max 0-2-2 | max grad 0-2-2 | avg 0-2-2 | avg grad 0-2-2";
        assertEquals(vector, allPasses(twoByTwo(1, 2, 8, 2 * L), 2 * L, 2 * L, 0, 0, Parallelism.sequential()));
        assertEquals(vector.replace("max grad 0-2-2", "max grad 0-0-2"),
                allPasses(twoByTwo(1, 2, 8, 2 * L - 2), 2 * L, 2 * L, 0, 0, Parallelism.sequential()));
    }

    @Test
    void aMaxGradientPlaneWithAnIndexOutsideItsWindowFallsBackAlone() {
        var g = twoByTwo(1, 3, 8, 4 * L);
        int outN = g.outputShape().numel();
        float[] in = new float[g.inputShape().numel() + 2 * L];
        for (int i = 0; i < in.length; i++) {
            in[i] = (i * 7919) % 1013;
        }
        float[] out = new float[outN + 2 * L];
        int[] idx = new int[outN + 2 * L];
        pool.maxForward(g, in, 0, out, 0, idx, 0, Parallelism.sequential());
        int kept = idx[outN / 3 + 5];
        idx[outN / 3 + 5] = -1; // plane 1
        pool.maxBackward(g, out, 0, idx, 0, new float[in.length], 0, Parallelism.sequential());
        assertEquals(List.of(1), routes.fallbacks);
        routes.fallbacks.clear();
        idx[outN / 3 + 5] = kept;
        idx[outN - 1] = idx[outN - 2]; // plane 2's last output names its neighbour's tap
        pool.maxBackward(g, out, 0, idx, 0, new float[in.length], 0, Parallelism.sequential());
        assertEquals(List.of(2), routes.fallbacks);
    }

    @Test
    void tasksHoldAboutSixtyFourKiInputValuesEach() {
        var g = twoByTwo(4, 10, 64, 64);
        String three = "0-16-16 16-32-32 32-40-40";
        assertEquals("max " + three + " | max grad " + three + " | avg " + three + " | avg grad " + three,
                allPasses(g, 2 * L, 2 * L, 0, 0, Parallelism.of(2)));
        pool.globalAvgForward(40, 4096, new float[40 * 4096], 0, new float[40], 0, Parallelism.of(2));
        assertEquals("0-0-16 16-16-32 32-32-40", routes.take());
        pool.globalAvgBackward(40, 4096, new float[40], 0, new float[40 * 4096], 0, Parallelism.sequential());
        assertEquals("0-0-16 16-16-32 32-32-40", routes.take());
        pool.globalAvgForward(3, 0, new float[0], 0, new float[3], 0, Parallelism.sequential());
        assertEquals("0-0-3", routes.take());
    }
}
