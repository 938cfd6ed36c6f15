package io.relstream.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.relstream.core.estimator.LocalLoss;
import io.relstream.core.kernel.opencl.AparapiBatchMath;
import io.relstream.core.kernel.opencl.OpenCl;
import io.relstream.core.model.Adam;
import io.relstream.core.model.FactorModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The measured choice of the batch-math path ({@link BatchMaths#choose}): the faster path wins, a path
 * that cannot run is dropped with its reason, and with a real OpenCL device both paths are measured.
 */
class BatchMathChoiceTest {
  private static final Objective OBJECTIVE = new Objective(LocalLoss.LOG, 0.1f, 1f);
  private static final Adam ADAM = Adam.defaults(0.01f, 1e-4f);

  /** A stand-in "OpenCL" path: the Java reference under another name, slowed down or sped up. */
  private static Function<FactorModel, BatchMath> standIn(long delayMillis, boolean skipWork) {
    return model -> {
      BatchMath real = new ScalarBatchMath(model);
      return (BatchMath) Proxy.newProxyInstance(BatchMath.class.getClassLoader(),
          new Class<?>[] {BatchMath.class}, (proxy, method, args) -> {
            switch (method.getName()) {
              case "path":
                return "opencl";
              case "device":
                return "stand-in device";
              case "gradients":
                if (delayMillis > 0) {
                  Thread.sleep(delayMillis);
                }
                if (skipWork) {
                  return 0.0;
                }
                break;
              default:
                break;
            }
            try {
              return method.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          });
    };
  }

  @Test
  void theFasterPathWins() {
    BatchMaths.Choice slow = BatchMaths.choose(8, 256, OBJECTIVE, ADAM, 60, null, standIn(5, false));
    assertEquals(BatchMaths.Path.JAVA, slow.path(), slow.reason());
    assertEquals("java", slow.device());
    assertTrue(slow.rates().get("java") > slow.rates().get("opencl"), slow.reason());

    BatchMaths.Choice fast = BatchMaths.choose(8, 256, OBJECTIVE, ADAM, 60, null, standIn(0, true));
    assertEquals(BatchMaths.Path.OPENCL, fast.path(), fast.reason());
    assertEquals("stand-in device", fast.device());
    assertTrue(fast.reason().startsWith("fastest measured: java="), fast.reason());
  }

  @Test
  void aPathThatCannotRunIsDroppedWithItsReason() {
    BatchMaths.Choice none = BatchMaths.choose(8, 64, OBJECTIVE, ADAM, 20, "no OpenCL platform", standIn(0, true));
    assertEquals(BatchMaths.Path.JAVA, none.path());
    assertFalse(none.rates().containsKey("opencl"));
    assertTrue(none.reason().contains("dropped opencl: no OpenCL platform"), none.reason());

    BatchMaths.Choice broken = BatchMaths.choose(8, 64, OBJECTIVE, ADAM, 20, null, m -> {
      throw new IllegalStateException("kernel failed to compile");
    });
    assertEquals(BatchMaths.Path.JAVA, broken.path());
    assertTrue(broken.reason().contains("dropped opencl: kernel failed to compile"), broken.reason());

    // an "OpenCL" implementation that ran in Java is not counted as OpenCL
    BatchMaths.Choice fallback = BatchMaths.choose(8, 64, OBJECTIVE, ADAM, 20, null, ScalarBatchMath::new);
    assertEquals(BatchMaths.Path.JAVA, fallback.path());
    assertTrue(fallback.reason().contains("dropped opencl: the OpenCL batch math ran on java"), fallback.reason());
  }

  @Test
  void withARealDeviceBothPathsAreMeasured() {
    String unavailable = OpenCl.available();
    if (unavailable != null && "1".equals(System.getenv("RELSTREAM_REQUIRE_OPENCL"))) {
      fail("RELSTREAM_REQUIRE_OPENCL=1 but OpenCL is unavailable: " + unavailable);
    }
    Assumptions.assumeTrue(unavailable == null, () -> "OpenCL test skipped: " + unavailable);
    BatchMaths.Choice c = BatchMaths.choose(16, 1024, OBJECTIVE, ADAM, 100, null, AparapiBatchMath::new);
    assertTrue(c.rates().get("java") > 0 && c.rates().get("opencl") > 0, c.reason());
    String winner = c.rates().get("opencl") > c.rates().get("java") ? "opencl" : "java";
    assertEquals(winner, c.path().name().toLowerCase(java.util.Locale.ROOT), c.reason());
  }
}
