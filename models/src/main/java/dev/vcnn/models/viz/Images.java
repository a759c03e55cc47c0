package dev.vcnn.models.viz;

import dev.vcnn.engine.io.AtomicFile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Float planes and 8-bit pixels to images, and PNG files written atomically. */
public final class Images {
    private Images() {}

    /**
     * The 8-bit level of {@code v} on the scale that maps {@code lo} to 0 and {@code hi} to 255, rounded
     * and clamped; a flat scale ({@code hi <= lo}) maps everything to 0. Every picture of activations,
     * filters and filtered images uses this one rule, so a test can recompute any pixel.
     */
    public static int level(float v, float lo, float hi) {
        if (!(hi > lo)) {
            return 0;
        }
        long l = Math.round(255.0 * ((double) v - lo) / ((double) hi - lo));
        return (int) Math.max(0, Math.min(255, l));
    }

    /** {min, max} of {@code v[off, off + n)}. */
    public static float[] range(float[] v, int off, int n) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) {
            lo = Math.min(lo, v[i]);
            hi = Math.max(hi, v[i]);
        }
        return new float[] {lo, hi};
    }

    /** An h×w plane at {@code off} as grey levels on [lo, hi]. */
    public static BufferedImage gray(float[] v, int off, int h, int w, float lo, float hi) {
        var img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int g = level(v[off + y * w + x], lo, hi);
                img.setRGB(x, y, g << 16 | g << 8 | g);
            }
        }
        return img;
    }

    /** Three h×w planes (R, G, B, CHW) at {@code off} as colour on one scale [lo, hi]. */
    public static BufferedImage rgb(float[] v, int off, int h, int w, float lo, float hi) {
        int plane = h * w;
        var img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = off + y * w + x;
                img.setRGB(x, y, level(v[i], lo, hi) << 16 | level(v[i + plane], lo, hi) << 8 | level(v[i + 2 * plane], lo, hi));
            }
        }
        return img;
    }

    /** A C×H×W image of unsigned bytes (C = 1 or 3) at {@code off}. */
    public static BufferedImage fromBytes(byte[] px, int off, int channels, int h, int w) {
        int plane = h * w;
        var img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = off + y * w + x;
                int r = px[i] & 0xFF;
                int g = channels == 3 ? px[i + plane] & 0xFF : r;
                int b = channels == 3 ? px[i + 2 * plane] & 0xFF : r;
                img.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return img;
    }

    /** Resized to w×h with bilinear interpolation, as an RGB image: as image folders are read for a model. */
    public static BufferedImage resize(BufferedImage img, int w, int h) {
        return dev.vcnn.models.data.ImageFolder.resize(img, w, h);
    }

    /** Enlarged by an integer factor, each pixel a block (no smoothing: small maps stay readable). */
    public static BufferedImage scale(BufferedImage img, int factor) {
        if (factor == 1) {
            return img;
        }
        var out = new BufferedImage(img.getWidth() * factor, img.getHeight() * factor, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                out.setRGB(x, y, img.getRGB(x / factor, y / factor));
            }
        }
        return out;
    }

    /** The integer factor that makes the smaller side of an h×w tile at least {@code min} pixels. */
    public static int factorFor(int h, int w, int min) {
        return Math.max(1, (min + Math.min(h, w) - 1) / Math.min(h, w));
    }

    /** Writes a PNG atomically (temporary file, fsync, rename): a crash never leaves half a picture. */
    public static void writePng(BufferedImage img, Path file) throws IOException {
        var bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", bytes)) {
            throw new IllegalStateException("png: this JDK has no PNG writer (file=" + file + ")");
        }
        AtomicFile.write(file, ch -> AtomicFile.writeFully(ch, ByteBuffer.wrap(bytes.toByteArray())));
    }
}
