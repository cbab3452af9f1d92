package dev.inferless.llm.ops.torch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Checks a DJL PyTorch binding against expected values recorded with another.
 *
 * <p>{@code record <file> [seed]}: draws fresh random inputs (seed: the clock unless given), runs
 * every check of {@link BindingChecks} on the CPU with the binding DJL loads (its published one
 * here) and writes inputs and outputs. {@code verify <file> <cpu|gpu> [json]}: configures DJL
 * with {@link TorchBinding} (our binding for the installed torch), runs the same checks on the
 * device from the recorded inputs and compares; exit status 1 if any check fails.
 */
public final class BindingCheck {

    private BindingCheck() {}

    /** One check's outcome. */
    record Result(String natives, boolean passed, double error, double tolerance, String detail) {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("record")) {
            long seed = args.length > 2 ? Long.parseLong(args[2]) : System.nanoTime();
            record(Path.of(args[1]), seed);
        } else if (args.length >= 3 && args[0].equals("verify")) {
            TorchBinding.configure();
            Device device = args[2].equals("gpu") ? Device.gpu() : Device.cpu();
            List<Result> results = verify(Path.of(args[1]), device);
            String report = report(results, device);
            System.out.println(report);
            if (args.length > 3) {
                Files.writeString(Path.of(args[3]), json(results, device));
            }
            System.exit(results.stream().allMatch(Result::passed) ? 0 : 1);
        } else {
            System.err.println("usage: BindingCheck record <file> [seed] | verify <file> <cpu|gpu> [json]");
            System.exit(2);
        }
    }

    static void record(Path file, long seed) throws IOException {
        List<BindingChecks.Check> checks = BindingChecks.all();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                OutputStream os = Files.newOutputStream(file);
                DataOutputStream out = new DataOutputStream(os)) {
            out.writeLong(seed);
            out.writeInt(checks.size());
            for (int i = 0; i < checks.size(); i++) {
                BindingChecks.Check check = checks.get(i);
                try (NDManager sub = m.newSubManager()) {
                    NDList inputs = new NDList();
                    for (BindingChecks.Input input : check.inputs().apply(new Random(seed * 31 + i))) {
                        inputs.add(input.apply(sub));
                    }
                    NDList outputs = check.reference().apply(sub, inputs);
                    out.writeUTF(check.natives());
                    // DJL cannot decode an empty NDList: store none
                    writeBytes(out, inputs.isEmpty() ? new byte[0] : inputs.encode());
                    writeBytes(out, outputs.encode());
                }
            }
        }
        System.out.println("recorded " + checks.size() + " checks, seed " + seed + ", engine "
                + Engine.getEngine("PyTorch").getVersion() + " -> " + file);
    }

    static List<Result> verify(Path file, Device device) throws IOException {
        List<BindingChecks.Check> checks = BindingChecks.all();
        List<Result> results = new ArrayList<>();
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                NDManager dev = NDManager.newBaseManager(device, "PyTorch");
                InputStream is = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(is)) {
            in.readLong();
            int n = in.readInt();
            if (n != checks.size()) {
                throw new IllegalStateException("recorded " + n + " checks, this build has " + checks.size());
            }
            for (BindingChecks.Check check : checks) {
                String name = in.readUTF();
                byte[] inputs = readBytes(in);
                byte[] expected = readBytes(in);
                if (!name.equals(check.natives())) {
                    throw new IllegalStateException("recorded check '" + name + "' but expected '" + check.natives() + "'");
                }
                try (NDManager c = cpu.newSubManager(); NDManager d = dev.newSubManager()) {
                    NDList in0 = inputs.length == 0 ? new NDList() : NDList.decode(c, inputs);
                    results.add(runOne(check, in0, NDList.decode(c, expected), d));
                } catch (RuntimeException e) {
                    results.add(new Result(check.natives(), false, Double.NaN, check.tolerance(), e.toString()));
                }
            }
        }
        return results;
    }

    private static Result runOne(BindingChecks.Check check, NDList inputs, NDList expected, NDManager dev) {
        NDList onDevice = new NDList();
        for (NDArray a : inputs) {
            NDArray moved = a.toDevice(dev.getDevice(), true);
            moved.attach(dev);
            onDevice.add(moved);
        }
        NDList actual = check.op().apply(dev, onDevice);
        if (actual.size() != expected.size()) {
            return new Result(check.natives(), false, Double.NaN, check.tolerance(),
                    actual.size() + " outputs, expected " + expected.size());
        }
        double worst = 0;
        for (int i = 0; i < actual.size(); i++) {
            NDArray got = actual.get(i);
            NDArray want = expected.get(i);
            if (!got.getDevice().equals(dev.getDevice())) {
                return fail(check, "output " + i + " on " + got.getDevice());
            }
            NDArray host = got.toDevice(Device.cpu(), true);
            if (!host.getShape().equals(want.getShape()) || host.getDataType() != want.getDataType()) {
                return fail(check, "output " + i + ": " + host.getShape() + " " + host.getDataType()
                        + ", expected " + want.getShape() + " " + want.getDataType());
            }
            double err = relativeError(host.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray(),
                    want.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray());
            if (!(err <= check.tolerance())) {
                return new Result(check.natives(), false, err, check.tolerance(), "output " + i + " differs");
            }
            worst = Math.max(worst, err);
        }
        return new Result(check.natives(), true, worst, check.tolerance(), actual.size() + " outputs");
    }

    private static Result fail(BindingChecks.Check check, String why) {
        return new Result(check.natives(), false, Double.NaN, check.tolerance(), why);
    }

    /** ||a - b|| / ||b||; 0 when both are empty or equal; NaNs must sit at the same places. */
    static double relativeError(double[] a, double[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            boolean nanA = Double.isNaN(a[i]);
            if (nanA || Double.isNaN(b[i])) {
                if (nanA != Double.isNaN(b[i])) {
                    return Double.POSITIVE_INFINITY;
                }
                continue;
            }
            if (Double.isInfinite(a[i]) || Double.isInfinite(b[i])) {
                if (a[i] != b[i]) {
                    return Double.POSITIVE_INFINITY;
                }
                continue;
            }
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            norm += b[i] * b[i];
        }
        if (diff == 0) {
            return 0;
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), Double.MIN_NORMAL);
    }

    static String report(List<Result> results, Device device) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-6s %-10s %-8s %s%n", "result", "rel.error", "tol", "natives (device " + device + ")"));
        for (Result r : results) {
            b.append(String.format(Locale.ROOT, "%-6s %-10.2e %-8.0e %s%s%n", r.passed() ? "ok" : "FAIL", r.error(),
                    r.tolerance(), r.natives(), r.passed() ? "" : "  <- " + r.detail()));
        }
        long passed = results.stream().filter(Result::passed).count();
        b.append(passed).append('/').append(results.size()).append(" checks passed");
        return b.toString();
    }

    static String json(List<Result> results, Device device) {
        StringBuilder b = new StringBuilder("{\"device\":\"" + device + "\",\"checks\":[");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"natives\":\"%s\",\"passed\":%b,\"relError\":%s,\"tolerance\":%s,\"detail\":\"%s\"}",
                    r.natives(), r.passed(), Double.isFinite(r.error()) ? r.error() : "null", r.tolerance(),
                    r.detail().replace("\\", "\\\\").replace("\"", "'")));
        }
        return b.append("]}").toString();
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return bytes;
    }
}
