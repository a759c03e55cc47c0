package dev.vcnn.models.train;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of one epoch: a terminal progress bar (the {@code progressbar} library: rate, ETA and our
 * loss/accuracy message) when the output is a terminal, else a plain line at each tenth of the epoch,
 * so logs in CI and pipes stay readable.
 */
interface Progress extends AutoCloseable {
    /** {@code images} more images done; the running loss and accuracy so far. */
    void step(int images, double loss, double accuracy);

    @Override
    void close();

    static Progress of(String task, long totalImages, PrintStream out) {
        boolean terminal = System.console() != null && System.getenv("CI") == null && out == System.out;
        return terminal ? new Bar(task, totalImages, out) : new Lines(task, totalImages, out);
    }

    final class Bar implements Progress {
        private final ProgressBar bar;

        Bar(String task, long total, PrintStream out) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" img", 1)
                    .setStyle(ProgressBarStyle.ASCII).showSpeed().setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(out)).setSpeedUnit(java.time.temporal.ChronoUnit.SECONDS)
                    .build();
        }

        @Override
        public void step(int images, double loss, double accuracy) {
            bar.stepBy(images);
            bar.setExtraMessage(String.format(" loss %.4f acc %.2f%%", loss, 100 * accuracy));
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    final class Lines implements Progress {
        private final String task;
        private final long total;
        private final PrintStream out;
        private final long start = System.nanoTime();
        private long done;
        private int reported;

        Lines(String task, long total, PrintStream out) {
            this.task = task;
            this.total = total;
            this.out = out;
        }

        @Override
        public void step(int images, double loss, double accuracy) {
            done += images;
            int tenth = (int) (10 * done / Math.max(1, total));
            if (tenth > reported && done < total) {
                reported = tenth;
                double seconds = (System.nanoTime() - start) / 1e9;
                double rate = done / Math.max(1e-9, seconds);
                out.printf("%s %3d%% %d/%d img, loss %.4f, acc %.2f%%, %.0f img/s, ETA %s%n", task, 10 * tenth, done, total,
                        loss, 100 * accuracy, rate, format(Duration.ofSeconds((long) ((total - done) / Math.max(1e-9, rate)))));
            }
        }

        private static String format(Duration d) {
            return String.format("%d:%02d", d.toMinutes(), d.toSecondsPart());
        }

        @Override
        public void close() {
            // the epoch summary line follows
        }
    }
}
