"""Interchange records as a peer would send them."""

import copy

BASE = {
    "schema": "techex.technology/1",
    "origin": "dongnai",
    "version": 1,
    "ref": "dn-001",
    "kind": "offer",
    "title": {"vi": "Công nghệ sấy nông sản bằng năng lượng mặt trời", "en": "Solar crop dryer"},
    "summary": {"vi": "Sấy hạt điều tiết kiệm năng lượng."},
    "field": "2.07",
    "keywords": ["sấy", "điều"],
    "trl": 7,
    "ip": [{"type": "patent", "status": "granted", "number": "1-0099999", "jurisdiction": "VN"}],
    "transaction_types": ["non_exclusive_license"],
    "price": {"currency": "VND", "min": 100000000, "max": 300000000, "negotiable": True},
    "organization": {"ref": "dnu", "name": "Trường Đại học Đồng Nai"},
    "inventors": [{"name": "Trần Thị B"}],
    "state_funded": False,
    "future_key_we_do_not_know": {"ignored": True},
}


def record(**changes):
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def tombstone(ref="dn-001", version=2, origin="dongnai"):
    return {"ref": ref, "origin": origin, "version": version, "deleted": True}
