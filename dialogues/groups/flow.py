"""A small min-cost flow, for the repair's choice of counts (see the solver's step 3)."""

from dataclasses import dataclass, field


@dataclass
class MinCostFlow:
    """Small min-cost flow: successive shortest paths with Bellman-Ford (SPFA), which
    allows the negative costs used above. Graphs here have sides × groups edges."""

    size: int
    heads: list[int] = field(default_factory=list)
    caps: list[int] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)
    adjacency: list[list[int]] = field(default_factory=list)

    def __post_init__(self):
        self.adjacency = [[] for _ in range(self.size)]

    def add(self, u: int, v: int, cap: int, cost: int) -> int:
        edge = len(self.heads)
        self.heads += [v, u]
        self.caps += [cap, 0]
        self.costs += [cost, -cost]
        self.adjacency[u].append(edge)
        self.adjacency[v].append(edge + 1)
        return edge

    def flow(self, edge: int) -> int:
        return self.caps[edge + 1]

    def run(self, source: int, sink: int, amount: int) -> int:
        sent = 0
        while sent < amount:
            parent = self._shortest_path(source)
            if parent[sink] < 0:
                break
            push, v = amount - sent, sink
            while v != source:
                edge = parent[v]
                push = min(push, self.caps[edge])
                v = self.heads[edge ^ 1]
            v = sink
            while v != source:
                edge = parent[v]
                self.caps[edge] -= push
                self.caps[edge ^ 1] += push
                v = self.heads[edge ^ 1]
            sent += push
        return sent

    def _shortest_path(self, source: int) -> list[int]:
        inf = float("inf")
        dist = [inf] * self.size
        parent = [-1] * self.size
        queued = [False] * self.size
        dist[source] = 0
        queue = [source]
        queued[source] = True
        head = 0
        while head < len(queue):
            u = queue[head]
            head += 1
            queued[u] = False
            for edge in self.adjacency[u]:
                if self.caps[edge] <= 0:
                    continue
                v = self.heads[edge]
                candidate = dist[u] + self.costs[edge]
                if candidate < dist[v]:
                    dist[v] = candidate
                    parent[v] = edge
                    if not queued[v]:
                        queued[v] = True
                        queue.append(v)
        return parent
