package io.relstream.core.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.relstream.core.data.Dataset;
import io.relstream.core.data.Ratings;
import io.relstream.core.data.YahooR3Reader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SemiSyntheticEventsTest {
  @Test
  void theLogInYahooR3sFilesReadsBackAsTheSameRatings(@TempDir Path dir) throws Exception {
    SemiSyntheticLog log = SemiSyntheticLog.generate(SemiSyntheticLog.Params.defaults(60, 40), 3);
    SemiSyntheticEvents events = SemiSyntheticEvents.of(log, 1);
    Ratings test = events.marSet(5, 9);
    events.writeYahooR3(test, dir);
    Dataset d = YahooR3Reader.read(dir);
    assertEquals(events.size(), d.train().size(), "one training rating per impression");
    int clicks = 0;
    for (int k = 0; k < events.size(); k++) {
      assertEquals(events.user(k), d.train().users()[k]);
      assertEquals(events.item(k), d.train().items()[k]);
      assertEquals(events.clicked(k), d.train().relevant(k), "relevant exactly when clicked");
      clicks += events.clicked(k) ? 1 : 0;
    }
    assertEquals(log.clickCount(), clicks);
    assertEquals(test.size(), d.test().size());
    for (int k = 0; k < test.size(); k++) {
      assertEquals(test.relevant(k), d.test().relevant(k));
      assertEquals(log.relevant(test.users()[k], test.items()[k]), d.test().relevant(k), "the MAR set's truth");
    }
    assertTrue(clicks > 0 && clicks < events.size());
  }
}
