package dev.vcnn.models.viz;

import dev.vcnn.engine.autograd.Autograd;
import dev.vcnn.engine.autograd.Functional;
import dev.vcnn.engine.autograd.Variable;
import dev.vcnn.engine.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Fixed kernels on images through the engine's conv2d, as OpenCV's {@code filter2D}: correlation (the
 * kernel is not flipped), the output the size of the input, borders extended by reflection without
 * repeating the edge pixel ({@code BORDER_REFLECT_101}: ...c b | a b c... → the pixel outside a is b).
 */
public final class Filter2d {
    private Filter2d() {}

    /** A k×k kernel, row-major. */
    public record Kernel(String name, int size, float[] weights) {
        public Kernel {
            if (size < 1 || size % 2 == 0 || weights.length != size * size) {
                throw new IllegalArgumentException("kernel " + name + ": must be square with an odd side but had "
                        + weights.length + " weights for side " + size);
            }
        }

        /** Derivative kernels (weights summing to 0) respond with signed values around 0. */
        public boolean derivative() {
            double s = 0;
            for (float w : weights) {
                s += w;
            }
            return Math.abs(s) < 1e-6;
        }
    }

    /** The named kernels {@code vcnn visualize kernels} knows. */
    public static final List<String> NAMES = List.of("sobel-x", "sobel-y", "scharr-x", "scharr-y", "laplacian", "sharpen", "blur");

    /**
     * A named kernel: Sobel and Scharr derivatives (x responds to vertical edges, dark-to-bright left to
     * right positive, as {@code cv2.Sobel(dx=1)}), the 4-neighbour Laplacian, a sharpening kernel and a
     * 3×3 box blur.
     */
    public static Kernel named(String name) {
        float[] w = switch (name) {
            case "sobel-x" -> new float[] {-1, 0, 1, -2, 0, 2, -1, 0, 1};
            case "sobel-y" -> new float[] {-1, -2, -1, 0, 0, 0, 1, 2, 1};
            case "scharr-x" -> new float[] {-3, 0, 3, -10, 0, 10, -3, 0, 3};
            case "scharr-y" -> new float[] {-3, -10, -3, 0, 0, 0, 3, 10, 3};
            case "laplacian" -> new float[] {0, 1, 0, 1, -4, 1, 0, 1, 0};
            case "sharpen" -> new float[] {0, -1, 0, -1, 5, -1, 0, -1, 0};
            case "blur" -> new float[] {1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f, 1 / 9f};
            default -> throw new IllegalArgumentException("kernel must be one of " + NAMES + " or a file but was '" + name + "'");
        };
        return new Kernel(name, 3, w);
    }

    /**
     * A kernel from a text file: k lines of k numbers (k odd), separated by spaces or commas; blank
     * lines and lines starting with # are skipped.
     *
     * @throws IllegalArgumentException naming the file, line and token that is wrong
     */
    public static Kernel read(Path file) throws IOException {
        List<float[]> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] tokens = line.split("[\\s,]+");
            float[] row = new float[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                try {
                    row[i] = Float.parseFloat(tokens[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("kernel: entry must be a number but was '" + tokens[i] + "' (file=" + file
                            + ", line " + (n + 1) + ")");
                }
                if (!Float.isFinite(row[i])) {
                    throw new IllegalArgumentException("kernel: entry must be finite but was " + tokens[i] + " (file=" + file
                            + ", line " + (n + 1) + ")");
                }
            }
            if (!rows.isEmpty() && row.length != rows.getFirst().length) {
                throw new IllegalArgumentException("kernel: every row must have " + rows.getFirst().length + " entries but line "
                        + (n + 1) + " has " + row.length + " (file=" + file + ")");
            }
            rows.add(row);
        }
        int k = rows.size();
        if (k == 0 || k % 2 == 0 || rows.getFirst().length != k) {
            throw new IllegalArgumentException("kernel: file must hold a square kernel with an odd side but has " + k + " rows of "
                    + (k == 0 ? 0 : rows.getFirst().length) + " entries (file=" + file + ")");
        }
        float[] w = new float[k * k];
        for (int r = 0; r < k; r++) {
            System.arraycopy(rows.get(r), 0, w, r * k, k);
        }
        return new Kernel(file.getFileName().toString().toLowerCase(Locale.ROOT), k, w);
    }

    /**
     * {@code image} [1, C, H, W] with each channel filtered by {@code kernel} (a depthwise convolution,
     * groups = C, on the reflected border): [1, C, H, W].
     */
    public static Tensor apply(Tensor image, Kernel kernel) {
        int c = image.dim(1);
        int pad = kernel.size() / 2;
        if (image.dim(2) <= pad || image.dim(3) <= pad) {
            throw new IllegalArgumentException("kernel " + kernel.name() + ": image must be larger than " + pad
                    + " pixels on each side to reflect its border but was " + image.shape());
        }
        Tensor padded = reflect101(image, pad);
        float[] w = new float[c * kernel.weights().length];
        for (int i = 0; i < c; i++) {
            System.arraycopy(kernel.weights(), 0, w, i * kernel.weights().length, kernel.weights().length);
        }
        Tensor weight = Tensor.of(w, c, 1, kernel.size(), kernel.size());
        return Autograd.noGrad(() -> Functional.conv2d(Variable.constant(padded), Variable.constant(weight), null,
                1, 1, 0, 0, 0, 0, 1, 1, c)).value();
    }

    /** Pads every plane of [N, C, H, W] by {@code pad} on each side with OpenCV's BORDER_REFLECT_101. */
    public static Tensor reflect101(Tensor x, int pad) {
        int n = x.dim(0) * x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int ph = h + 2 * pad;
        int pw = w + 2 * pad;
        Tensor y = Tensor.zeros(x.dim(0), x.dim(1), ph, pw);
        float[] src = x.data();
        float[] dst = y.data();
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < ph; i++) {
                int si = reflect(i - pad, h);
                for (int j = 0; j < pw; j++) {
                    dst[(p * ph + i) * pw + j] = src[x.offset() + (p * h + si) * w + reflect(j - pad, w)];
                }
            }
        }
        return y;
    }

    private static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        while (i < 0 || i >= n) {
            i = i < 0 ? -i : 2 * (n - 1) - i;
        }
        return i;
    }

    /** √(gx² + gy²) elementwise: the gradient magnitude of a Sobel (or Scharr) pair. */
    public static Tensor magnitude(Tensor gx, Tensor gy) {
        if (!gx.shape().equals(gy.shape())) {
            throw new IllegalArgumentException("magnitude: gx and gy must have one shape but were " + gx.shape() + " and " + gy.shape());
        }
        float[] a = gx.toArray();
        float[] b = gy.toArray();
        float[] m = new float[a.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) Math.sqrt((double) a[i] * a[i] + (double) b[i] * b[i]);
        }
        return Tensor.of(m, gx.shape().toArray());
    }
}
