package dev.vcnn.models.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A labelled grid of equally sized tiles: an optional title bar, then rows of tiles, each with an
 * optional caption underneath and an optional coloured frame (used to mark mistakes). The layout is
 * pure arithmetic so tests can check it: width = max(cols·(tileW + gap) + gap, TITLE_WIDTH if titled),
 * height = title + rows·(tileH + caption + gap) + gap. Titles and captions may have several lines.
 */
public record Grid(int count, int cols, int tileW, int tileH, int gap, int captionH, int titleH) {
    public static final int GAP = 4;
    /** Height of one caption line. */
    public static final int CAPTION = 14;
    /** Height of one title line. */
    public static final int TITLE = 18;
    /** A titled grid is at least this wide, so the title is readable however few the tiles. */
    public static final int TITLE_WIDTH = 560;

    /** One tile: its picture, a caption (or null) and a frame colour (or null). */
    public record Tile(BufferedImage image, String caption, Color frame) {}

    /** A near-square grid for {@code count} tiles of w×h, with room for caption and title lines. */
    public static Grid of(int count, int tileW, int tileH, int captionLines, int titleLines) {
        int cols = Math.max(1, (int) Math.ceil(Math.sqrt(count)));
        return new Grid(count, cols, tileW, tileH, GAP, CAPTION * captionLines, titleLines == 0 ? 0 : TITLE * titleLines + 6);
    }

    public int rows() {
        return (count + cols - 1) / cols;
    }

    public int width() {
        return Math.max(cols * (tileW + gap) + gap, titleH > 0 ? TITLE_WIDTH : 0);
    }

    public int height() {
        return titleH + rows() * (tileH + captionH + gap) + gap;
    }

    /** Left edge of tile i. */
    public int x(int i) {
        return gap + (i % cols) * (tileW + gap);
    }

    /** Top edge of tile i. */
    public int y(int i) {
        return titleH + gap + (i / cols) * (tileH + captionH + gap);
    }

    /** Draws the tiles (each already tileW×tileH) on a dark background. */
    public BufferedImage render(String title, List<Tile> tiles) {
        if (tiles.size() != count) {
            throw new IllegalArgumentException("grid: tile count must be " + count + " but was " + tiles.size());
        }
        var img = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new Color(32, 32, 32));
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.WHITE);
        if (titleH > 0 && title != null) {
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            String[] lines = title.split("\n");
            for (int i = 0; i < lines.length && (i + 1) * TITLE <= titleH; i++) {
                g.drawString(fit(g, lines[i], img.getWidth() - 2 * gap), gap, (i + 1) * TITLE);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            }
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < count; i++) {
            Tile t = tiles.get(i);
            g.drawImage(t.image(), x(i), y(i), null);
            if (t.frame() != null) {
                g.setColor(t.frame());
                g.drawRect(x(i) - 2, y(i) - 2, tileW + 3, tileH + 3);
                g.drawRect(x(i) - 1, y(i) - 1, tileW + 1, tileH + 1);
            }
            if (captionH > 0 && t.caption() != null) {
                g.setColor(t.frame() != null ? t.frame() : Color.WHITE);
                String[] lines = t.caption().split("\n");
                for (int j = 0; j < lines.length && (j + 1) * CAPTION <= captionH; j++) {
                    g.drawString(fit(g, lines[j], tileW + gap), x(i), y(i) + tileH + (j + 1) * CAPTION - 3);
                }
            }
        }
        g.dispose();
        return img;
    }

    private static String fit(Graphics2D g, String s, int width) {
        FontMetrics m = g.getFontMetrics();
        if (m.stringWidth(s) <= width) {
            return s;
        }
        String t = s;
        while (t.length() > 1 && m.stringWidth(t + "…") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }
}
