"""bench/fleet_load.py against a real mosquitto: retained statuses that parse, screenshots answered, counts kept."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.fleet_load import LoadFleet
from tests.broker import Mosquitto


def test_load_fleet_publishes_statuses_and_answers_a_screenshot(tmp_path: Path) -> None:
    """20 fake boards publish retained statuses; a request gets a PNG then a twin; set_offline sends the will."""
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    fleet = LoadFleet("127.0.0.1", broker.port, boards=20, sites=6, interval_s=1.0, pictures=[b"\x89PNG\r\n\x1a\n"])
    got: dict[str, bytes] = {}
    arrived = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_message(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        got[message.topic] = bytes(message.payload)
        if message.topic.endswith("/screenshot/text"):
            arrived.set()

    client.on_message = on_message
    try:
        fleet.start()
        time.sleep(1.5)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        client.subscribe("wallboard/#", qos=1)
        time.sleep(0.5)
        client.publish("wallboard/site01/board001/screenshot", json.dumps({"max_width": 960}), qos=1)
        assert arrived.wait(5)
        fleet.set_offline("site02/board002")
        time.sleep(0.5)
    finally:
        client.loop_stop()
        fleet.stop()
        broker.stop()
    statuses = {topic: json.loads(payload) for topic, payload in got.items() if topic.endswith("/status")}
    assert len(statuses) == 20
    assert statuses["wallboard/site01/board001/status"]["status"] == "online"
    assert statuses["wallboard/site02/board002/status"]["status"] == "offline"
    assert got["wallboard/site01/board001/screenshot/png"].startswith(b"\x89PNG")
    assert json.loads(got["wallboard/site01/board001/screenshot/text"])["board"] == "board001"
    assert fleet.max_requests_per_minute() == 1
