"""The local demonstration network, not the product: sample content for a new node
(`sample`), a network of node processes on loopback (`network`, `singlewindow up`) and the
cross-border traffic played through their APIs as clients would (`traffic`).

Dependencies go one way: `network` starts nodes and hands `traffic` their URLs and the sample
accounts; `traffic` knows nodes only by those; `sample` loads content through the rooms'
services. The node may load the sample (`Node.open(with_sample=True)`); nothing here reaches
into a node but through its public API.
"""
