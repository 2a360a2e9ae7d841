"""Landscape: topics, map, terrain, white space and starting points on a hand-written corpus and on real data.

The small corpus below is HAND-WRITTEN for these tests (not real patents): 30 English abstracts about batteries,
30 about neural networks, 8 about coffee machines (a small topic that only started recently, with two applicants),
and 12 hand-written Chinese abstracts (6 on batteries, 6 on neural networks, one of them in Traditional
characters). The real-data test maps samples of the PatentsView "neural network" and "baseball" query results.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patnav.analysis.landscape import (
    Landscape,
    cluster_peaks,
    crowding,
    density_grid,
    growth_ratio,
    landscape,
    landscape_chart,
    set_vectors,
    starting_point,
    white_space,
)
from patnav.analysis.patent_set import PatentSet
from patnav.analysis.topics import candidate_ks, default_k_range, distinctive_terms, label_terms
from patnav.corpus.store import Corpus, Positioned, Provenance
from patnav.engine import Engine, get_engine
from patnav.model.numbers import parse_publication_number
from patnav.model.records import Classification, LocalizedText, Party, Publication

LOADED = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
AS_OF = dt.date(2021, 7, 1)  # priority years complete through 2019: recent 2015–2019, previous 2010–2014


def _records(block: str) -> list[tuple[str, str]]:
    """``(title, abstract)`` pairs from a text block: records apart by a blank line, the title on the first line,
    the abstract on the indented lines below (English lines joined with a space, Chinese ones without)."""
    out = []
    for record in block.strip().split("\n\n"):
        title, *lines = record.splitlines()
        parts = [line.strip() for line in lines]
        joiner = "" if any("\u4e00" <= ch <= "\u9fff" for ch in parts[0]) else " "
        out.append((title.strip(), joiner.join(parts)))
    return out


BATTERY = _records(
    """
Lithium-ion battery with silicon anode
    A lithium-ion battery cell has a silicon anode and a graphite layer that limits swelling of the
    electrode during charging.

Solid electrolyte for a lithium battery
    A solid electrolyte of sulfide glass conducts lithium ions between the cathode and the anode of a
    battery cell.

Cathode material for rechargeable batteries
    A nickel manganese cobalt cathode material with a coated surface raises the capacity of a rechargeable
    lithium battery.

Battery pack with cooling plates
    A battery pack holds cells between aluminium cooling plates so the temperature of each battery cell
    stays even while charging.

Electrolyte additive for longer cycle life
    An electrolyte additive forms a stable film on the anode and extends the cycle life of the lithium-ion
    battery.

Separator for a lithium-ion cell
    A porous polymer separator with a ceramic coating keeps the anode and cathode of a lithium-ion cell
    apart at high temperature.

Battery management for cell balancing
    A battery management circuit measures the voltage of each cell and balances the charge of the battery
    pack.

Anode of lithium titanate
    An anode of lithium titanate particles allows fast charging of the battery cell without lithium plating
    on the electrode.

Method of charging a lithium battery
    A charging method lowers the current as the battery cell voltage rises, protecting the anode and the
    electrolyte.

Pouch battery cell
    A pouch cell stacks anode and cathode sheets with a separator and seals the electrolyte in a laminated
    aluminium film.

Sodium-ion battery cathode
    A layered oxide cathode stores sodium ions and gives a sodium-ion battery a long cycle life at low cost.

Battery electrode coating process
    A slurry of cathode powder and binder is coated on aluminium foil and dried to form a battery electrode.

Solid-state battery with lithium metal anode
    A solid-state battery uses a lithium metal anode and a ceramic electrolyte that blocks dendrites.

Battery cell with current collector tabs
    Current collector tabs welded to the anode and cathode of the battery cell lower its internal
    resistance.

Estimating battery state of charge
    The state of charge of a lithium battery is estimated from the cell voltage, current and temperature.

Graphite anode material
    A spherical graphite anode material with a carbon coating raises the charging rate of a lithium-ion
    battery.

Battery thermal runaway protection
    A battery module stops thermal runaway from spreading by placing insulating sheets between the battery
    cells.

Cylindrical lithium-ion cell
    A cylindrical lithium-ion cell winds the anode, separator and cathode into a roll inside a steel can
    with electrolyte.

Recycling cathode metals from batteries
    Spent lithium-ion batteries are crushed and the cathode metals are recovered from the electrode powder.

Battery with flame-retardant electrolyte
    A flame-retardant electrolyte solvent makes the lithium battery cell safer when it is overcharged.

Silicon carbon composite anode
    A silicon carbon composite anode absorbs the volume change of silicon and keeps the battery capacity
    over many cycles.

Fast charging battery system
    A charging system cools the battery pack and controls the charging current so the lithium cells charge
    quickly.

Lithium iron phosphate cathode
    A lithium iron phosphate cathode with carbon coating gives the battery a long cycle life and high
    safety.

Battery cell venting structure
    A vent in the battery cell case opens when gas pressure from the electrolyte rises, protecting the
    battery pack.

Prelithiation of anodes
    The anode is prelithiated with lithium powder to compensate the first-cycle loss of the lithium-ion
    battery cell.

Battery module housing
    A battery module housing fixes the cells and the busbars and carries heat from the battery to a cooling
    plate.

Polymer electrolyte membrane for batteries
    A gel polymer electrolyte membrane holds the liquid electrolyte and separates the anode from the cathode
    of the battery.

Detecting internal short circuits in battery cells
    An internal short circuit of a battery cell is detected from the self-discharge of the cell voltage.

High-nickel cathode with dopant
    A high-nickel cathode doped with aluminium keeps its structure during charging of the lithium battery.

Battery cell formation process
    After assembly the battery cell is charged slowly in a formation step so a stable layer grows on the
    anode.
"""
)

NEURAL = _records(
    """
Training a convolutional neural network
    A convolutional neural network is trained on labelled images by backpropagation of the classification
    error through its layers.

Neural network accelerator
    A hardware accelerator multiplies the weights and activations of a neural network layer in a systolic
    array.

Recurrent neural network for speech
    A recurrent neural network with long short-term memory units converts speech audio into text.

Pruning a deep neural network
    Weights of a deep neural network with small magnitude are pruned and the network is retrained to keep
    its accuracy.

Attention layers in a neural network
    A transformer neural network uses attention layers to weigh the input tokens when generating the output
    sequence.

Quantized neural network inference
    The weights and activations of a trained neural network are quantized to eight-bit integers for faster
    inference.

Neural network for object detection
    A neural network predicts bounding boxes and classes of objects in an image from feature maps of its
    convolutional layers.

Distributed training of neural networks
    Several processors train copies of a neural network on parts of the training data and average their
    gradients.

Generative adversarial network
    A generator neural network and a discriminator network are trained against each other to produce
    realistic images.

Neural architecture search
    A controller searches the space of neural network architectures and trains the candidate networks to
    pick the best layers.

Neural network for machine translation
    An encoder neural network reads a sentence and a decoder network generates its translation word by word.

Spiking neural network hardware
    A neuromorphic chip implements a spiking neural network whose neurons fire when their membrane potential
    exceeds a threshold.

Knowledge distillation of neural networks
    A small student neural network is trained to imitate the outputs of a large teacher network.

Graph neural network
    A graph neural network passes messages between the nodes of a graph to learn node representations.

Neural network weight initialisation
    The weights of the layers of a deep neural network are initialised from a scaled distribution so
    training converges.

Reinforcement learning with a neural network
    A neural network estimates action values from observations and is trained by reinforcement learning
    rewards.

Batch normalisation layer
    A normalisation layer rescales the activations of a neural network over each training batch to speed up
    training.

Neural network on a mobile device
    A compact neural network with depthwise convolutions runs image classification on a mobile processor.

Autoencoder neural network for anomalies
    An autoencoder neural network reconstructs its input and flags inputs with a large reconstruction error
    as anomalies.

Training data augmentation
    Training images are cropped, flipped and recoloured to augment the training data of a convolutional
    neural network.

Neural network language model
    A neural network language model predicts the next word from the previous words and is trained on a large
    text corpus.

Dropout regularisation
    Random units of a neural network are dropped during training so the network does not overfit the
    training data.

Neural network for medical images
    A convolutional neural network segments tumours in medical images after training on annotated scans.

Federated training of a neural network
    Devices train a shared neural network on local data and send only weight updates to a server.

Neural network compression
    Low-rank factorisation of the weight matrices compresses the layers of a trained neural network.

Neural network for recommendation
    A neural network learns embeddings of users and items and predicts which items a user will choose.

Explaining neural network decisions
    Gradients of the output of a neural network with respect to its input show which pixels drove the
    classification.

In-memory computing for neural networks
    A crossbar of resistive memory cells computes the weighted sums of a neural network layer in place.

Self-supervised training of a neural network
    A neural network is pretrained on unlabelled data by predicting masked parts of its input, then fine-
    tuned.

Neural network hyperparameter tuning
    Learning rate and layer sizes of a neural network are tuned by training many candidate networks in
    parallel.
"""
)

COFFEE = _records(
    """
Coffee machine with milk frother
    A coffee machine heats milk with steam in a frother and pours it over the espresso brewed from ground
    coffee beans.

Capsule coffee brewing
    A brewing unit pierces a coffee capsule and presses hot water through the ground coffee to make
    espresso.

Coffee grinder with adjustable burrs
    The burrs of a coffee grinder are adjusted to grind coffee beans finely for espresso or coarsely for
    filter coffee.

Cold brew coffee maker
    Ground coffee steeps in cold water in a cold brew coffee maker and a filter separates the coffee from
    the grounds.

Descaling a coffee machine
    The coffee machine pumps a descaling solution through its boiler and brewing unit to remove lime scale.

Espresso machine pressure control
    A pump of an espresso machine keeps the brewing pressure of the hot water on the coffee puck at nine
    bar.

Coffee bean roasting device
    A roasting drum turns green coffee beans over a heater until the beans reach the roast colour chosen for
    the coffee.

Drip coffee maker with thermal carafe
    A drip coffee maker sprays hot water over the ground coffee in a filter and the brewed coffee flows into
    a thermal carafe.
"""
)

ZH_BATTERY = _records(
    """
一种锂离子电池负极材料
    本发明公开了一种锂离子电池负极材料，采用硅碳复合材料，提高了电池的容量和循环寿命。

锂离子电池电解液
    一种锂离子电池电解液，含有成膜添加剂，在负极表面形成稳定的保护膜，延长电池循环寿命。

电池正极材料及其制备方法
    一种电池正极材料，为镍钴锰三元材料，表面包覆氧化铝，提高了锂离子电池的安全性。

动力电池包散热结构
    一种动力电池包，电池模组之间设置液冷板，使电池充电时温度均匀。

固态电池电解质
    一种固态电池，采用硫化物固态电解质，锂离子在正极和负极之间传导，电池安全性高。

锂电池隔膜
    一种锂电池隔膜，在聚乙烯隔膜表面涂覆陶瓷层，防止电池正极与负极短路。
"""
)

ZH_NEURAL = _records(
    """
一种卷积神经网络的训练方法
    本发明提供一种卷积神经网络的训练方法，利用标注图像训练神经网络模型，提高图像识别的准确率。

基于神经网络的语音识别方法
    一种基于循环神经网络的语音识别方法，将语音信号输入神经网络模型，输出识别文本。

神经网络模型压缩方法
    一种神经网络模型压缩方法，对训练好的神经网络进行剪枝和量化，减少模型的计算量。

神经网络加速器
    一种神经网络加速器芯片，采用脉动阵列计算神经网络各层的卷积运算，提高推理速度。

基於神經網絡的目標檢測方法
    一種基於卷積神經網絡的目標檢測方法，利用神經網絡模型提取圖像特徵並輸出目標位置。

图神经网络推荐方法
    一种基于图神经网络的推荐方法，通过神经网络学习用户和商品的表示，提高推荐准确率。
"""
)

BATTERY_YEARS = [2000 + i // 2 for i in range(30)]  # 2000–2014: 10 families in the previous window, none recent
NEURAL_YEARS = [2011 + i % 4 for i in range(8)] + [2015 + i % 5 for i in range(22)]  # 8 previous, 22 recent
COFFEE_YEARS = [2016, 2016, 2017, 2017, 2018, 2018, 2019, 2019]  # all recent: median_low 2017
ZH_BATTERY_YEARS = [2005, 2006, 2007, 2008, 2009, 2010]
ZH_NEURAL_YEARS = [2013, 2015, 2016, 2017, 2018, 2019]  # 1 previous, 5 recent


def _pub(
    number: str,
    text: tuple[str, str],
    lang: str,
    year: int,
    applicant: str,
    ipc: list[str],
) -> Publication:
    parsed = parse_publication_number(number)
    return Publication(
        number,
        parsed.country,
        parsed.number,
        parsed.kind,
        priority_date=dt.date(year, 3, 1),
        publication_date=dt.date(year + 1, 9, 1),
        titles=[LocalizedText(lang, text[0])],
        abstracts=[LocalizedText(lang, text[1])],
        parties=[Party("applicant", applicant, kind="company")],
        classifications=[Classification("IPC", s, is_main=i == 0, sequence=i) for i, s in enumerate(ipc)],
    )


def _hand_written() -> dict[str, list[Publication]]:
    """The hand-written corpus by topic (see the module docstring); applicants and IPC symbols made up to fit:

    * batteries: VOLTCELL files 6 families, eight others 3 each; H01M (+ C01B for every third);
    * neural networks: 12 applicants in turn (NEURO-0 … NEURO-11); G06N + G06F;
    * coffee: BREWMATIC and CAFE ROBOTICS in turn; A47J + B65D (a pair no other topic has);
    * Chinese batteries: three applicants; H01M. Chinese neural networks: three applicants; G06N.
    """
    others = [
        "AMPERE LABS",
        "ANODE WORKS",
        "CATHODIX",
        "CELLFORGE",
        "ELECTROLYTE CO",
        "IONPACK",
        "LITHOS",
        "POWERSTACK",
    ]
    topics: dict[str, list[Publication]] = {
        "battery": [],
        "neural": [],
        "coffee": [],
        "zh_battery": [],
        "zh_neural": [],
    }
    for i, (text, year) in enumerate(zip(BATTERY, BATTERY_YEARS, strict=True)):
        who = "VOLTCELL" if i < 6 else others[(i - 6) % len(others)]
        ipc = ["H01M 10/0525", "C01B 32/20"] if i % 3 == 0 else ["H01M 4/36"]
        topics["battery"].append(_pub(f"US{7000001 + i}B2", text, "en", year, who, ipc))
    for i, (text, year) in enumerate(zip(NEURAL, NEURAL_YEARS, strict=True)):
        topics["neural"].append(
            _pub(f"US{8000001 + i}B2", text, "en", year, f"NEURO-{i % 12}", ["G06N 3/08", "G06F 17/16"])
        )
    for i, (text, year) in enumerate(zip(COFFEE, COFFEE_YEARS, strict=True)):
        who = ("BREWMATIC", "CAFE ROBOTICS")[i % 2]
        topics["coffee"].append(_pub(f"US{9000001 + i}B2", text, "en", year, who, ["A47J 31/44", "B65D 85/804"]))
    for i, (text, year) in enumerate(zip(ZH_BATTERY, ZH_BATTERY_YEARS, strict=True)):
        who = ("华能电池科技有限公司", "东方储能股份有限公司", "青山新能源有限公司")[i % 3]
        topics["zh_battery"].append(_pub(f"CN{110000001 + i}A", text, "zh", year, who, ["H01M 10/0525"]))
    for i, (text, year) in enumerate(zip(ZH_NEURAL, ZH_NEURAL_YEARS, strict=True)):
        who = ("智算科技有限公司", "深思智能有限公司", "星河视觉有限公司")[i % 3]
        topics["zh_neural"].append(_pub(f"CN{120000001 + i}A", text, "zh", year, who, ["G06N 3/04"]))
    return topics


def _write(path: Path, publications: list[Publication]) -> None:
    prov = Provenance("hand-written fixture", "test-reader", "1", LOADED)
    with Corpus(path) as corpus:
        corpus.write_batch([Positioned(p, str(i), 1) for i, p in enumerate(publications)], prov)
        corpus.export_parquet()


@pytest.fixture(scope="module")
def topics() -> dict[str, list[Publication]]:
    return _hand_written()


@pytest.fixture(scope="module")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory, topics: dict[str, list[Publication]]) -> Path:
    path = tmp_path_factory.mktemp("landscape") / "corpus"
    _write(path, [p for pubs in topics.values() for p in pubs])
    return path


@pytest.fixture(scope="module")
def hand_engine(hand_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", hand_corpus) as eng:
        yield eng


@pytest.fixture(scope="module")
def hand_map(hand_engine: Engine) -> Landscape:
    return landscape(hand_engine, as_of=AS_OF, grid_size=40)


def _cluster_of(result: Landscape, pubs: list[Publication]) -> Counter[int]:
    where = {p.publication_number: p.cluster for p in result.points}
    return Counter(where[p.publication_number] for p in pubs)


def test_topics_are_separated_and_labelled(hand_map: Landscape, topics: dict[str, list[Publication]]) -> None:
    result = hand_map
    assert result.vectors.source == "tfidf" and result.vectors.reason == "no_store"
    assert (result.vectors.tfidf, result.vectors.stored, result.documents, result.without_text) == (80, 0, 80, 0)
    assert result.clustering.chosen and result.clustering.k == 5  # silhouette's best in k = 2…6
    clusters = {name: _cluster_of(result, pubs) for name, pubs in topics.items()}
    for name, counts in clusters.items():
        assert len(counts) == 1, (name, counts)  # every topic in one cluster …
    ids = {name: next(iter(counts)) for name, counts in clusters.items()}
    assert len(set(ids.values())) == 5  # … and no two topics share one
    assert [c.documents for c in result.clusters] == [30, 30, 8, 6, 6]  # ids by size
    words = {name: {t.text for t in result.cluster(ids[name]).terms} for name in ids}
    assert {"battery", "anode", "cathode"} <= words["battery"]
    assert "neural network" in words["neural"]  # the phrase, as written, not the stems "neural" + "network"
    assert "coffee" in words["coffee"] and "espresso" in words["coffee"]
    assert {"电池", "负极", "正极"} <= words["zh_battery"]  # jieba words, not single characters
    assert "神经网络" in words["zh_neural"]
    assert result.cluster(ids["coffee"]).label.startswith("coffee")
    for c in result.clusters:  # labels are the first three terms; every cluster's peak carries its label
        assert c.label == " · ".join(t.text for t in c.terms[:3]) and c.peak.label == c.label
        assert c.peak == result.peaks[c.cluster]


def test_cluster_figures_come_from_the_engine(hand_map: Landscape, topics: dict[str, list[Publication]]) -> None:
    result = hand_map
    assert (result.recent_window, result.previous_window) == ((2015, 2019), (2010, 2014))
    ids = {name: _cluster_of(result, pubs).most_common(1)[0][0] for name, pubs in topics.items()}
    battery = result.cluster(ids["battery"])
    assert (battery.families, battery.applicants, battery.recent_applicants) == (30, 9, 0)
    assert battery.top_applicants[0].name == "VOLTCELL" and battery.top_applicants[0].families == 6
    assert (battery.first_year, battery.median_year, battery.last_year) == (2000, 2007, 2014)
    assert (battery.recent, battery.previous, battery.trend) == (0, 10, "falling")
    coffee = result.cluster(ids["coffee"])
    assert [(a.name, a.families) for a in coffee.top_applicants] == [("BREWMATIC", 4), ("CAFE ROBOTICS", 4)]
    assert (coffee.first_year, coffee.median_year, coffee.last_year) == (2016, 2017, 2019)
    assert (coffee.recent, coffee.previous, coffee.trend, coffee.applicants) == (8, 0, "rising", 2)
    neural = result.cluster(ids["neural"])
    assert (neural.recent, neural.previous, neural.applicants) == (22, 8, 12)
    assert sum(c.share for c in result.clusters) == pytest.approx(1.0)
    assert all(0 < c.cohesion <= 1 for c in result.clusters)
    point = next(p for p in result.points if p.publication_number == "US9000001B2")
    assert (point.applicant, point.year, point.title) == ("BREWMATIC", 2016, "Coffee machine with milk frother")
    assert [p.publication_number for p in result.points] == sorted(p.publication_number for p in result.points)


def test_map_terrain_and_peaks(hand_map: Landscape) -> None:
    grid = hand_map.grid
    values = grid.array()
    assert values.shape == (40, 40) and values.min() >= 0 and values.sum() == pytest.approx(1.0)
    xs = [p.x for p in hand_map.points]
    ys = [p.y for p in hand_map.points]
    assert grid.x_min < min(xs) and max(xs) < grid.x_max and grid.y_min < min(ys) and max(ys) < grid.y_max
    for peak in hand_map.peaks:
        members = [(p.x, p.y) for p in hand_map.points if p.cluster == peak.cluster]
        cx, cy = np.median(np.asarray(members), axis=0)
        # the summit lies within the cluster's own spread, in a cell of the map
        spread = np.ptp(np.asarray(members), axis=0).max() + 3 * max(grid.cell_width, grid.cell_height)
        assert abs(peak.x - cx) <= spread and abs(peak.y - cy) <= spread
        assert 0 < peak.height <= 1 and peak.density == grid.values[peak.row][peak.column]


def test_same_input_same_map(hand_engine: Engine, hand_map: Landscape) -> None:
    again = landscape(hand_engine, as_of=AS_OF, grid_size=40)
    assert again == hand_map  # fixed random_state: the same points, clusters, terrain and peaks


def test_proposal_lands_in_the_battery_cluster(hand_map: Landscape, topics: dict[str, list[Publication]]) -> None:
    battery = _cluster_of(hand_map, topics["battery"]).most_common(1)[0][0]
    start = starting_point(
        hand_map, "A lithium battery cell whose silicon anode and solid electrolyte give a long cycle life", k=5
    )
    assert start.cluster == battery and start.clusters[0].cluster == battery
    assert start.clusters[0].neighbours == 5 and start.source == "tfidf"
    assert all(n.cluster == battery for n in start.neighbours)
    assert [n.similarity for n in start.neighbours] == sorted((n.similarity for n in start.neighbours), reverse=True)
    own = [(p.x, p.y) for p in hand_map.points if p.cluster == battery]
    lo, hi = np.min(own, axis=0), np.max(own, axis=0)
    margin = 0.5 * (hi - lo).max()
    assert lo[0] - margin <= start.x <= hi[0] + margin and lo[1] - margin <= start.y <= hi[1] + margin
    with pytest.raises(ValueError, match="empty"):
        starting_point(hand_map, "  ")


def test_white_space_ranks_the_rising_small_topic_first(
    hand_engine: Engine, hand_map: Landscape, topics: dict[str, list[Publication]]
) -> None:
    coffee = _cluster_of(hand_map, topics["coffee"]).most_common(1)[0][0]
    zh_neural = _cluster_of(hand_map, topics["zh_neural"]).most_common(1)[0][0]
    neural = _cluster_of(hand_map, topics["neural"]).most_common(1)[0][0]
    ws = white_space(hand_engine, None, hand_map, max_players=3)
    assert [g.cluster for g in ws.clusters] == [coffee, zh_neural]  # the others have more players or fall
    first = ws.clusters[0]
    assert (first.recent, first.previous, first.applicants, first.growth) == (8, 0, 2, 9.0)
    assert ws.clusters[1].growth == growth_ratio(1, 5) == 3.0
    anyone = white_space(hand_engine, None, hand_map, max_players=100)
    assert [g.cluster for g in anyone.clusters] == [coffee, zh_neural, neural]  # 9.0 > 3.0 > 23 / 9
    # IPC pairs: A47J + B65D only in the coffee families (8 recent, 0 before, 2 applicants); G06F + G06N has 12
    assert [(p.first, p.second, p.recent, p.previous, p.applicants) for p in ws.class_pairs] == [
        ("A47J", "B65D", 8, 0, 2)
    ]
    assert [(p.first, p.second) for p in anyone.class_pairs] == [("A47J", "B65D"), ("G06F", "G06N")]
    for cell in ws.cells:
        assert cell.height <= 0.05 and cell.flank >= 0.25 and cell.contrast == pytest.approx(cell.flank - cell.height)
        assert 0 <= cell.column < hand_map.grid.columns and 0 <= cell.row < hand_map.grid.rows


def test_chart_is_valid_vega_lite(hand_map: Landscape) -> None:
    import vl_convert as vlc

    spec = landscape_chart(hand_map, labels={"applicant": "申请人", "all": "全部"})
    assert spec["$schema"].endswith("/v5.json")
    assert len(spec["datasets"]["points"]) == 80 and len(spec["datasets"]["peaks"]) == 5
    assert spec["usermeta"]["patnav"] == {
        "points": 80,
        "drawn": 80,
        "thinned": False,
        "clusters": 5,
        "vectors": "tfidf",
        "proposal": False,
    }
    params = {p["name"]: p for p in spec["params"]}
    assert params["pick_applicant"]["bind"]["options"][0] == "*"
    assert params["pick_applicant"]["bind"]["labels"][0] == "全部"
    assert params["pick_year"]["bind"]["min"] == 2000 and params["pick_year"]["bind"]["max"] == 2019
    point = next(p for p in spec["datasets"]["points"] if p["publication_number"] == "US9000001B2")
    assert point["applicant"] == "BREWMATIC" and point["year"] == 2016
    svg = vlc.vegalite_to_svg(spec, vl_version="5.21")  # renders with Vega-Lite 5 …
    assert svg.startswith("<svg") and "coffee" in svg
    assert vlc.vegalite_to_svg(spec).startswith("<svg")  # … and with the bundled default
    thin = landscape_chart(hand_map, max_points=20)
    assert len(thin["datasets"]["points"]) == 20
    assert thin["usermeta"]["patnav"]["thinned"] and thin["usermeta"]["patnav"]["points"] == 80


def test_a_proposal_is_marked_on_the_map_with_how_crowded_it_is(hand_map: Landscape) -> None:
    """The R&D report's view: the proposal drawn as a labelled point where it lands, and the count of patents
    around it against the count around the map's own patents."""
    import vl_convert as vlc

    start = starting_point(hand_map, "A lithium battery cell with a silicon anode and a solid electrolyte", k=5)
    spec = landscape_chart(hand_map, proposal=start, labels={"proposal": "研发提案"})
    (marked,) = spec["datasets"]["proposal"]
    assert (marked["x"], marked["y"], marked["label"]) == (start.x, start.y, "研发提案")
    assert marked["cluster"] == hand_map.cluster(start.cluster).label and spec["usermeta"]["patnav"]["proposal"]
    svg = vlc.vegalite_to_svg(spec, vl_version="5.21")
    assert "研发提案" in svg  # the label is drawn
    crowd = crowding(hand_map, start)
    around = [p for p in hand_map.points if math.dist((p.x, p.y), (start.x, start.y)) <= crowd.radius]
    assert crowd.k == 5 and crowd.within == len(around) >= 5  # its 5 nearest lie inside the circle, by definition
    assert crowd.sampled == 80 and crowd.typical > 0 and crowd.ratio == crowd.within / crowd.typical
    assert crowd.height == start.height


# -- vectors: stored, missing, embedded ---------------------------------------------------------------------------


class HashEmbedder:
    """A stand-in model: each word hashed into 32 dimensions (no model run), L2-normalised."""

    name = "test-hash-embedder"
    version = "1"
    dim = 32

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: list[str], *, kind: str = "passage") -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.strip(".,").encode()) % self.dim] += 1
            out[i, 0] += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_stored_vectors_and_the_fallback(tmp_path: Path, topics: dict[str, list[Publication]]) -> None:
    from patnav.search.vectors import embed_corpus

    path = tmp_path / "corpus"
    first = topics["battery"][:8] + topics["neural"][:8]
    _write(path, first)
    emb = HashEmbedder()
    with Corpus(path) as corpus:
        embed_corpus(corpus, emb)
    with get_engine("duckdb", path) as engine:
        sv = set_vectors(engine, model=emb)
        assert sv.summary.source == "stored" and sv.summary.reason == "all_stored"
        assert (sv.summary.stored, sv.summary.embedded, sv.summary.tfidf, sv.summary.dim) == (16, 0, 0, 32)
        assert sv.summary.model == "test-hash-embedder" and sv.summary.version == "1"
        result = landscape(engine, model=emb, embedder=emb, k=2, as_of=AS_OF, grid_size=20)
        assert result.vectors.source == "stored"
        start = starting_point(result, "lithium battery anode and cathode electrolyte cell", k=3, embedder=emb)
        assert start.source == "stored"
        battery = {p.cluster for p in result.points if p.publication_number.startswith("US7")}
        assert start.cluster in battery
    _write(path, topics["battery"][8:10])  # two more publications, not embedded
    with get_engine("duckdb", path) as engine:
        sv = set_vectors(engine, model=emb)  # one lacks a vector: the whole set falls back, never mixing spaces
        assert (sv.summary.source, sv.summary.reason, sv.summary.tfidf, sv.summary.lacking) == (
            "tfidf",
            "missing_vectors",
            18,
            2,
        )
        emb.calls.clear()
        sv = set_vectors(engine, model=emb, embedder=emb, embed_missing=True)
        assert (sv.summary.source, sv.summary.reason, sv.summary.stored, sv.summary.embedded) == (
            "stored",
            "embedded_missing",
            16,
            2,
        )
        assert emb.calls == [2]  # only the missing ones were embedded
        with pytest.raises(ValueError, match="missing"):
            set_vectors(engine, model=emb, vectors="stored")
        subset = PatentSet.of([p.publication_number for p in first[:4]], normalize=False)
        assert set_vectors(engine, subset, model=emb).summary.reason == "all_stored"
        assert set_vectors(engine, subset, model=emb, vectors="tfidf").summary.reason == "tfidf_requested"


# -- pure parts -------------------------------------------------------------------------------------------------


def test_label_terms_keep_what_is_written() -> None:
    assert label_terms("Lithium-ion batteries for a Neural Network") == [
        ("lithium ion", "Lithium-ion"),
        ("batteri", "batteries"),
        ("lithium ion batteri", "Lithium-ion batteries"),
        ("neural", "Neural"),
        ("network", "Network"),
        ("neural network", "Neural Network"),
    ]
    # Chinese: jieba words (Traditional folded for the key, written form kept); boilerplate and particles dropped
    assert label_terms("一种锂离子电池的正极材料及其制备方法") == [
        ("锂离子", "锂离子"),
        ("电池", "电池"),
        ("正极", "正极"),
        ("材料", "材料"),
        ("制备", "制备"),
    ]
    assert ("神经网络", "神經網絡") in label_terms("基於神經網絡的方法")
    # Japanese: Sudachi nouns in their surface form
    assert label_terms("リチウムイオン電池の正極材料およびその製造方法", "ja") == [
        ("リチウムイオン電池", "リチウムイオン電池"),
        ("正極", "正極"),
        ("材料", "材料"),
        ("製造", "製造"),
    ]


def test_distinctive_terms_prefer_phrases_and_skip_shared_words() -> None:
    docs = [label_terms("A neural network method for images")] * 4 + [label_terms("A baseball bat method")] * 4
    terms = distinctive_terms(docs, [0] * 4 + [1] * 4, top=3)
    assert [t.text for t in terms[0]] == ["images", "neural network"]  # "method" is in both: never a label
    assert [t.text for t in terms[1]] == ["baseball bat"]
    assert terms[0][1].documents == 4 and terms[0][1].score == pytest.approx(1.0)  # p = 1, lift 2: 1 · log2 2


def test_k_ranges() -> None:
    assert default_k_range(80) == (2, 6)
    assert default_k_range(800) == (8, 20)
    assert default_k_range(100_000) == (8, 30)
    assert default_k_range(3) == (2, 2)
    assert candidate_ks(8, 30) == [8, 9, 10, 12, 15, 19, 24, 30]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-50, 50, allow_nan=False), st.floats(-50, 50, allow_nan=False)), min_size=0, max_size=300
    ),
    st.integers(2, 30),
)
def test_density_grid_is_a_distribution(points: list[tuple[float, float]], size: int) -> None:
    xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    grid = density_grid(xy, size=size)
    values = grid.array()
    assert values.shape == (size, size)
    assert values.min() >= 0 and values.sum() == pytest.approx(1.0)
    assert grid.x_min < grid.x_max and grid.y_min < grid.y_max
    if len(xy):
        labels = np.arange(len(xy)) % 3
        for peak in cluster_peaks(grid, xy, labels):
            assert 0 <= peak.column < size and 0 <= peak.row < size
            assert grid.x_min <= peak.x <= grid.x_max and grid.y_min <= peak.y <= grid.y_max
            assert 0 <= peak.height <= 1


def test_density_grid_finds_the_mode() -> None:
    rng = np.random.default_rng(0)
    xy = np.concatenate([rng.normal((0, 0), 0.3, (400, 2)), rng.normal((6, 3), 0.3, (100, 2))])
    grid = density_grid(xy, size=60)
    row, column = np.unravel_index(int(np.argmax(grid.array())), (60, 60))
    x, y = grid.center(int(column), int(row))
    assert abs(x) < 0.5 and abs(y) < 0.5  # the bigger bump is the highest
    peaks = cluster_peaks(grid, xy, np.array([0] * 400 + [1] * 100), {0: "a", 1: "b"})
    assert [(p.label, round(p.x), round(p.y)) for p in peaks] == [("a", 0, 0), ("b", 6, 3)]
    assert peaks[0].height == 1.0 and 0 < peaks[1].height < 1


# -- real data ----------------------------------------------------------------------------------------------------

BASEBALL_WORDS = {
    "baseball", "bat", "ball", "glove", "pitch", "pitching", "pitcher", "batting", "batter", "swing", "cap", "hat",
    "helmet", "softball", "catcher", "mitt", "base", "player", "game", "hitting", "golf", "sports", "throwing",
    "strike zone", "visor", "grip", "team", "field", "practice", "training", "handle", "barrel",
}  # fmt: skip
NEURAL_WORDS = {"neural", "network", "neuron", "neurons", "learning", "training", "layer", "nodes", "synapse"}


@pytest.fixture(scope="module")
def real_engine(real_corpus: Path) -> Iterator[Engine]:
    with get_engine("duckdb", real_corpus) as eng:
        yield eng


def _sample(engine: Engine, query: str, every: int) -> set[str]:
    rows = engine.rows(
        "SELECT publication_number FROM publications WHERE source_file LIKE :f ORDER BY publication_number",
        {"f": f"%patentsview/{query}_patent_query.csv"},
    )
    return {n for i, (n,) in enumerate(rows) if i % every == 0}


def test_real_neural_network_and_baseball_separate(real_engine: Engine) -> None:
    neural = _sample(real_engine, "neural_network", 12)  # 294 of 3,522
    baseball = _sample(real_engine, "baseball", 9)  # 296 of 2,664 (some have only a title)
    both = PatentSet.of(neural | baseball, label="nn+baseball", origin="patentsview", normalize=False)
    result = landscape(real_engine, both, as_of=dt.date(2018, 6, 30), grid_size=60)
    assert result.vectors.source == "tfidf" and result.vectors.reason == "no_store"
    assert len(result.points) + result.without_text == len(neural | baseball)
    low, high = default_k_range(len(result.points))
    assert 5 <= low <= result.clustering.k <= high  # silhouette's choice in the default range
    words = {
        c.cluster: {w for t in c.terms for w in (t.text.lower(), *t.text.lower().split())} for c in result.clusters
    }
    in_cluster = {p.publication_number: p.cluster for p in result.points}
    on_baseball = [in_cluster[n] for n in baseball if n in in_cluster]
    on_neural = [in_cluster[n] for n in neural if n in in_cluster]
    baseball_labelled = sum(1 for c in on_baseball if words[c] & BASEBALL_WORDS and not words[c] & {"neural"})
    neural_labelled = sum(1 for c in on_neural if words[c] & NEURAL_WORDS)
    # most baseball patents sit in clusters labelled with baseball words (the rest: baseball statistics software
    # among computing topics, cleats and ball covers among "shoe · cover · core"), most neural ones likewise
    assert baseball_labelled >= 0.8 * len(on_baseball)
    assert neural_labelled >= 0.9 * len(on_neural)
    for c in result.clusters:  # every sizeable topic is mostly one theme
        members = [p.publication_number for p in result.points if p.cluster == c.cluster]
        share = sum(1 for n in members if n in baseball) / len(members)
        assert c.documents < 10 or share >= 0.8 or share <= 0.2, (c.label, share)
    start = starting_point(result, "A baseball bat with a hollow aluminium barrel and a rubber grip on the handle")
    assert start.neighbours[0].publication_number in baseball
    assert sum(1 for n in start.neighbours if n.publication_number in baseball) >= 8
    spec = landscape_chart(result)
    import vl_convert as vlc

    assert vlc.vegalite_to_svg(spec, vl_version="5.21").startswith("<svg")


@pytest.mark.spark
def test_spark_matches_duckdb(spark_session: Any, hand_corpus: Path, hand_engine: Engine, hand_map: Landscape) -> None:
    with get_engine("spark", hand_corpus) as spark:
        assert landscape(spark, as_of=AS_OF, grid_size=40) == hand_map
        assert white_space(spark, None, hand_map, max_players=3) == white_space(
            hand_engine, None, hand_map, max_players=3
        )


def test_tiny_sets(hand_engine: Engine, topics: dict[str, list[Publication]]) -> None:
    for size in (1, 2, 3, 5):
        pubs = PatentSet.of([p.publication_number for p in topics["coffee"][:size]], normalize=False)
        result = landscape(hand_engine, pubs, as_of=AS_OF, grid_size=10)
        assert len(result.points) == size and result.grid.array().sum() == pytest.approx(1.0)
        assert result.projection.method == ("trivial" if size < 4 else "umap")
        assert sum(c.documents for c in result.clusters) == size
        start = starting_point(result, "espresso coffee machine", k=10)
        assert len(start.neighbours) == size
        assert landscape_chart(result)["usermeta"]["patnav"]["points"] == size
    with pytest.raises(ValueError, match="title or an abstract"):
        landscape(hand_engine, PatentSet.of(["US1234567B2"]), as_of=AS_OF)
