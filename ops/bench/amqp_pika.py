#!/usr/bin/env python3
"""Reference figures for `hotlinectl amqp`: the same two shapes as Hotline's AMQP client, with pika.

  publish  persistent messages with publisher confirms in batches of 100: publish 100, wait until
           all 100 are confirmed, repeat (pika SelectConnection with confirm callbacks; pika's
           BlockingConnection would wait for each confirm one message at a time)
  consume  manual-ack consuming with prefetch 100 and `basic.ack(multiple=True)` every 100 messages

The queue must exist (a quorum queue, declared by the caller); for `consume` it must already hold
`--messages` messages. Prints one JSON line: {"shape": ..., "messages": N, "seconds": S, "rate": R}.
Timing starts after the connection and channel are open, as on the Swift side.
"""
import argparse
import json
import sys
import time

import pika


def publish(url, queue, messages, batch, body_size):
    body = b"x" * body_size
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    state = {"sent": 0, "confirmed": 0, "outstanding": 0, "acked_upto": 0, "start": None, "end": None, "failed": 0}

    def publish_batch(channel):
        count = min(batch, messages - state["sent"])
        for _ in range(count):
            channel.basic_publish("", queue, body, properties)
        state["sent"] += count
        state["outstanding"] = count

    def on_confirm(frame):
        # RabbitMQ confirms in publish order on one channel: a multiple ack covers every tag up to it.
        method = frame.method
        tag = method.delivery_tag
        done = tag - state["acked_upto"] if method.multiple else 1
        state["acked_upto"] = max(state["acked_upto"], tag)
        if isinstance(method, pika.spec.Basic.Nack):
            state["failed"] += done
        state["confirmed"] += done
        state["outstanding"] -= done
        if state["outstanding"] <= 0:
            if state["sent"] >= messages:
                state["end"] = time.perf_counter()
                connection.close()
            else:
                publish_batch(frame_channel[0])

    frame_channel = [None]

    def on_confirm_mode(_frame):
        state["start"] = time.perf_counter()
        publish_batch(frame_channel[0])

    def on_channel_open(channel):
        frame_channel[0] = channel
        channel.confirm_delivery(on_confirm, callback=on_confirm_mode)

    def on_open(conn):
        conn.channel(on_open_callback=on_channel_open)

    def on_open_error(_conn, error):
        print(f"connection failed: {error}", file=sys.stderr)
        connection.ioloop.stop()

    def on_closed(_conn, _reason):
        connection.ioloop.stop()

    connection = pika.SelectConnection(pika.URLParameters(url), on_open_callback=on_open,
                                       on_open_error_callback=on_open_error, on_close_callback=on_closed)
    connection.ioloop.start()
    if state["end"] is None:
        raise SystemExit("publish did not complete")
    if state["failed"]:
        raise SystemExit(f"{state['failed']} messages nacked")
    return state["end"] - state["start"]


def consume(url, queue, messages, batch):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=batch)
    state = {"received": 0}
    start = time.perf_counter()

    def on_message(ch, method, _properties, _body):
        state["received"] += 1
        if state["received"] % batch == 0 or state["received"] == messages:
            ch.basic_ack(method.delivery_tag, multiple=True)
        if state["received"] >= messages:
            ch.stop_consuming()

    channel.basic_consume(queue, on_message, auto_ack=False)
    channel.start_consuming()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shape", choices=["publish", "consume"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--body-size", type=int, default=512)
    args = parser.parse_args()
    if args.shape == "publish":
        seconds = publish(args.url, args.queue, args.messages, args.batch, args.body_size)
    else:
        seconds = consume(args.url, args.queue, args.messages, args.batch)
    print(json.dumps({"shape": args.shape, "messages": args.messages, "seconds": seconds,
                      "rate": args.messages / seconds, "pika": pika.__version__}))


if __name__ == "__main__":
    main()
