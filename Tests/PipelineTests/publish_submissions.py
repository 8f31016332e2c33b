#!/usr/bin/env python3
"""Publishes submissions to Hotline's intake exchange the way a channel would: with pika, not
with Hotline's own code. Reads JSON lines from --file, each {"routingKey": ..., "messageId": ...,
"body": <envelope object> | "rawBody": <string>}, publishes them persistent with publisher
confirms and mandatory set, and exits non-zero if any was not confirmed or came back unrouted."""
import argparse
import json
import sys

import pika


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--file", required=True)
    args = parser.parse_args()
    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    channel = connection.channel()
    channel.confirm_delivery()
    sent = 0
    with open(args.file, encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            body = item["rawBody"].encode("utf-8") if "rawBody" in item else json.dumps(item["body"], ensure_ascii=False).encode("utf-8")
            properties = pika.BasicProperties(
                message_id=item.get("messageId"), type=item.get("type", "submission"),
                content_type="application/json", delivery_mode=pika.DeliveryMode.Persistent)
            try:
                channel.basic_publish("hotline.intake", item["routingKey"], body, properties, mandatory=True)
            except pika.exceptions.UnroutableError:
                print("unroutable: is hotline-intake running?", file=sys.stderr)
                return 3
            except pika.exceptions.NackError:
                print("nacked by the broker", file=sys.stderr)
                return 4
            sent += 1
    connection.close()
    print(f"published {sent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
