package dev.inferless.serving;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Peak memory of this process so far: JVM heap (per-pool peaks summed) and resident set (VmHWM). */
public final class PeakMemory {

    private PeakMemory() {}

    public static long heapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) sum += pool.getPeakUsage().getUsed();
        }
        return sum;
    }

    /** Peak resident set size from /proc/self/status; -1 where there is no /proc (not Linux). */
    public static long rssBytes() {
        try {
            return parseVmHwm(Files.readAllLines(Path.of("/proc/self/status")));
        } catch (IOException e) {
            return -1;
        }
    }

    public static long parseVmHwm(List<String> statusLines) {
        for (String line : statusLines) {
            if (line.startsWith("VmHWM:")) {
                String[] parts = line.substring(6).trim().split("\\s+");
                return Long.parseLong(parts[0]) * 1024; // the kernel reports kB
            }
        }
        return -1;
    }
}
