package io.relstream.streamtrain;

import io.relstream.schemas.Codecs;
import io.relstream.schemas.avro.Interaction;
import io.relstream.schemas.avro.ModelUpdate;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kafka record (de)serialisation of the topics, through {@link Codecs} only. */
final class KafkaSerdes {
  private KafkaSerdes() {}

  /**
   * Values of the interactions topic. A value that is not an Interaction is logged and skipped (ingest
   * validates before publishing, so this is a producer bug; stopping the job would stop training).
   */
  static final class InteractionDeserializer implements KafkaRecordDeserializationSchema<Interaction> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(InteractionDeserializer.class);

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Interaction> out) {
      if (record.value() == null) {
        return;
      }
      try {
        out.collect(Codecs.INTERACTION.decode(record.value()));
      } catch (IllegalArgumentException e) {
        LOG.warn("skipping a bad record at {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
            e.getMessage());
      }
    }

    @Override
    public TypeInformation<Interaction> getProducedType() {
      return AvroTypes.INTERACTION;
    }
  }

  /** Rows of the model-updates topic: key "user:ID" / "item:ID", value the Avro row. */
  static final class ModelUpdateSerializer implements KafkaRecordSerializationSchema<ModelUpdate> {
    private static final long serialVersionUID = 1L;
    private final String topic;

    ModelUpdateSerializer(String topic) {
      this.topic = topic;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(ModelUpdate u, KafkaSinkContext context, Long timestamp) {
      byte[] key = Codecs.modelUpdateKey(u.getKind(), u.getId()).getBytes(StandardCharsets.UTF_8);
      byte[] value = TrainingJob.isErasure(u) ? null : Codecs.MODEL_UPDATE.encode(u); // erasure: a tombstone
      return new ProducerRecord<>(topic, null, u.getTimestamp(), key, value);
    }
  }
}
