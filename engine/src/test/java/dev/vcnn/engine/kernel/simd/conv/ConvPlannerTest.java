package dev.vcnn.engine.kernel.simd.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vcnn.engine.kernel.Conv2dGeometry;
import dev.vcnn.engine.kernel.ConvPath;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The plans of every convolution of LeNet-5, the CIFAR CNN and VGG11 at their training batch (64, 64 and 128;
 * VGG11 on 3×32×32 as its CIFAR recipe trains it) and every vector width, pinned: a change to a planner rule
 * that moves one of these layers to another path fails here, and the table is updated on purpose with the
 * measurement that justified the change.
 */
class ConvPlannerTest {
    /** 3×3 or 5×5, stride 1, square images and equal padding, as every layer of these models. */
    private static Conv2dGeometry layer(int batch, int in, int size, int out, int kernel, int pad) {
        return new Conv2dGeometry(batch, in, size, size, out, kernel, kernel, 1, 1, pad, pad, pad, pad, 1, 1, 1);
    }

    private static Map<String, Conv2dGeometry> layers() {
        var m = new LinkedHashMap<String, Conv2dGeometry>();
        m.put("lenet5 conv1", layer(64, 1, 28, 6, 5, 2));
        m.put("lenet5 conv2", layer(64, 6, 14, 16, 5, 0));
        m.put("cifar-cnn conv1", layer(64, 3, 32, 16, 3, 1));
        m.put("cifar-cnn conv2", layer(64, 16, 16, 32, 3, 1));
        m.put("cifar-cnn conv3", layer(64, 32, 8, 64, 3, 1));
        // VGG11's features, by their index in torchvision's layout.
        m.put("vgg11 0", layer(128, 3, 32, 64, 3, 1));
        m.put("vgg11 3", layer(128, 64, 16, 128, 3, 1));
        m.put("vgg11 6", layer(128, 128, 8, 256, 3, 1));
        m.put("vgg11 8", layer(128, 256, 8, 256, 3, 1));
        m.put("vgg11 11", layer(128, 256, 4, 512, 3, 1));
        m.put("vgg11 13", layer(128, 512, 4, 512, 3, 1));
        m.put("vgg11 16", layer(128, 512, 2, 512, 3, 1));
        m.put("vgg11 18", layer(128, 512, 2, 512, 3, 1));
        return m;
    }

    private static final List<String> PINNED = List.of(
            "lenet5 conv1 @ 128: forward FLAT, input gradient COL2IM, weight gradient FLAT",
            "lenet5 conv1 @ 256: forward FLAT, input gradient COL2IM, weight gradient FLAT",
            "lenet5 conv1 @ 512: forward FLAT, input gradient DIRECT (transposed), weight gradient FLAT",
            "lenet5 conv2 @ 128: forward FLAT, input gradient COL2IM, weight gradient DIRECT",
            "lenet5 conv2 @ 256: forward FLAT, input gradient COL2IM, weight gradient FLAT",
            "lenet5 conv2 @ 512: forward DIRECT, input gradient DIRECT (transposed), weight gradient LANE_CHANNELS",
            "cifar-cnn conv1 @ 128: forward FLAT, input gradient COL2IM, weight gradient DIRECT",
            "cifar-cnn conv1 @ 256: forward FLAT, input gradient COL2IM, weight gradient DIRECT",
            "cifar-cnn conv1 @ 512: forward FLAT, input gradient DIRECT (transposed), weight gradient DIRECT",
            "cifar-cnn conv2 @ 128: forward WINOGRAD, input gradient WINOGRAD (transposed), weight gradient PADDED_ROWS_CHANNEL_SLABS",
            "cifar-cnn conv2 @ 256: forward WINOGRAD, input gradient WINOGRAD (transposed), weight gradient PADDED_ROWS_CHANNEL_SLABS",
            "cifar-cnn conv2 @ 512: forward WINOGRAD, input gradient WINOGRAD (transposed), weight gradient PADDED_ROWS",
            "cifar-cnn conv3 @ 128: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "cifar-cnn conv3 @ 256: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "cifar-cnn conv3 @ 512: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 0 @ 128: forward FLAT, input gradient COL2IM, weight gradient DIRECT",
            "vgg11 0 @ 256: forward FLAT, input gradient COL2IM, weight gradient DIRECT",
            "vgg11 0 @ 512: forward FLAT, input gradient COL2IM, weight gradient DIRECT",
            "vgg11 3 @ 128: forward WINOGRAD, input gradient WINOGRAD (transposed), weight gradient PADDED_ROWS_CHANNEL_SLABS",
            "vgg11 3 @ 256: forward WINOGRAD, input gradient WINOGRAD (transposed), weight gradient PADDED_ROWS_CHANNEL_SLABS",
            "vgg11 3 @ 512: forward WINOGRAD, input gradient WINOGRAD (transposed), weight gradient PADDED_ROWS_CHANNEL_SLABS",
            "vgg11 6 @ 128: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 6 @ 256: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 6 @ 512: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 8 @ 128: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 8 @ 256: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 8 @ 512: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 11 @ 128: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 11 @ 256: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 11 @ 512: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 13 @ 128: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 13 @ 256: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 13 @ 512: forward IMAGE_BLOCKS, input gradient IMAGE_BLOCKS (transposed), weight gradient IMAGE_BLOCKS_CHANNEL_SLABS",
            "vgg11 16 @ 128: forward UNROLLED, input gradient UNROLLED, weight gradient UNROLLED",
            "vgg11 16 @ 256: forward UNROLLED, input gradient UNROLLED, weight gradient UNROLLED",
            "vgg11 16 @ 512: forward UNROLLED, input gradient UNROLLED, weight gradient UNROLLED",
            "vgg11 18 @ 128: forward UNROLLED, input gradient UNROLLED, weight gradient UNROLLED",
            "vgg11 18 @ 256: forward UNROLLED, input gradient UNROLLED, weight gradient UNROLLED",
            "vgg11 18 @ 512: forward UNROLLED, input gradient UNROLLED, weight gradient UNROLLED");

    @Test
    void plansOfTheClassicModelsArePinned() {
        var actual = new ArrayList<String>();
        layers().forEach((name, g) -> {
            for (int bits : new int[] {128, 256, 512}) {
                actual.add(name + " @ " + bits + ": " + new ConvPlanner(bits, true).plan(g));
            }
        });
        assertEquals(String.join("\n", PINNED), String.join("\n", actual));
    }

    @Test
    void withWinogradOffTheSameLayersTakeTheNextRow() {
        var g = layers().get("vgg11 3");
        for (int bits : new int[] {128, 256, 512}) {
            var plan = new ConvPlanner(bits, false).plan(g);
            assertEquals(ConvPath.PADDED_ROWS, plan.forward(), "forward at " + bits + " bits");
            assertEquals(ConvPath.PADDED_ROWS, plan.inputGradient(), "input gradient at " + bits + " bits");
        }
    }

    /**
     * A strided forward pass runs on phased rows where im2col would copy each input value at least four times
     * (R·S ≥ 4·sh·sw), else on im2col: ResNet's 7×7 stem at stride 2 and a 3×3 layer at strides 2 × 1 on phased
     * rows; its 3×3 and 1×1 layers at stride 2 on im2col.
     */
    @Test
    void stridedLayersTakePhasedRowsWhereIm2colCopiesEachValueFourTimes() {
        assertForward(ConvPath.PHASED_ROWS, new Conv2dGeometry(1, 3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3, 1, 1, 1), "stem");
        assertForward(ConvPath.PHASED_ROWS, new Conv2dGeometry(1, 16, 30, 30, 32, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1),
                "3×3 at 2 × 1");
        assertForward(ConvPath.IM2COL, new Conv2dGeometry(1, 64, 56, 56, 128, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), "3×3 at 2");
        assertForward(ConvPath.IM2COL, new Conv2dGeometry(1, 64, 56, 56, 128, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1), "1×1 at 2");
    }

    /**
     * Fewer than 100 tiles take Winograd at a batch that keeps its filters' transforms between calls: ResNet's
     * 256 → 256 at 14×14 (49 tiles per image) at batch 1 and 2, and its 512 → 512 at 7×7 (16 tiles, as the GEMM's
     * rows) at batch 1 and 4. On 4×4 planes (4 tiles) 256 channels take it and 512 stay on im2col; at batch 8 the
     * 7×7 layer takes the image blocks.
     */
    @Test
    void fewTilesTakeWinogradAtTheBatchesThatKeepTheirFilters() {
        for (int batch : new int[] {1, 2}) {
            assertForward(ConvPath.WINOGRAD, new Conv2dGeometry(batch, 256, 14, 14, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                    "14×14 at batch " + batch);
        }
        for (int batch : new int[] {1, 4}) {
            assertForward(ConvPath.WINOGRAD, new Conv2dGeometry(batch, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                    "7×7 at batch " + batch);
        }
        assertForward(ConvPath.WINOGRAD, new Conv2dGeometry(1, 256, 4, 4, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), "256 at 4×4");
        assertForward(ConvPath.IM2COL, new Conv2dGeometry(1, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), "512 at 4×4");
        assertForward(ConvPath.IMAGE_BLOCKS, new Conv2dGeometry(8, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                "7×7 at batch 8");
    }

    /** MobileNetV2's 1×1 layers with rows of one vector at 512 bits (384 → 64 at 14×14) run on the GEMM, not direct. */
    @Test
    void pointwiseLayersOnNarrowRowsTakeTheGemm() {
        for (int batch : new int[] {1, 32}) {
            assertForward(ConvPath.POINTWISE, new Conv2dGeometry(batch, 384, 14, 14, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),
                    "batch " + batch);
        }
    }

    /** The forward path of g at every vector width, with Winograd on. */
    private static void assertForward(ConvPath path, Conv2dGeometry g, String what) {
        for (int bits : new int[] {128, 256, 512}) {
            assertEquals(path, new ConvPlanner(bits, true).plan(g).forward(), what + " at " + bits + " bits");
        }
    }

    @Test
    void anEmptyBatchHasNoWeightGradientToCompute() {
        var g = layer(0, 3, 8, 4, 3, 1);
        assertEquals(ConvPath.NONE, new ConvPlanner(256, true).plan(g).weightGradient());
    }

    @Test
    void anUnknownWidthIsAnErrorNamingIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ConvPlanner(64, true));
        assertEquals("conv planner: vector width must be 128, 256 or 512 bits but was 64", e.getMessage());
    }
}
