import { Gauge, Histogram } from 'prom-client';

/** Streams this ingress is serving now, by API (each holds an ordered consumer and a connection). */
export const streamsOpen = new Gauge({ name: 'reqrun_streams_open', help: 'SSE streams open on this ingress, by API', labelNames: ['api'] });

/** From the stream's request to its first event (keep-alives aside): time to first token, as the client sees it less the network. */
export const streamFirstEvent = new Histogram({
  name: 'reqrun_stream_first_event_seconds',
  help: 'Time from a stream request to its first event (keep-alives not counted), by API',
  labelNames: ['api'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
});
