"""Starts moto_server for the Lethe local cloud.

What stock moto_server does not do, and that the local cloud needs:

1. Die with its parent. The launcher exits when its stdin closes (the parent holds the pipe; any exit of the parent,
   a crash included, closes it) and when it is re-parented (the parent process is gone). PR_SET_PDEATHSIG is NOT used:
   it fires when the parent *thread* that forked us exits, and .NET forks from thread-pool threads, which retire when
   idle, so it killed moto in the middle of test runs (measured: silent SIGKILL after bursts of concurrent requests).
2. Run more than one Step Functions execution per state machine. moto 5.2.1 deep-copies the state machine on each
   StartExecution, executions included; after the first run that list holds a live worker thread and an RLock, so every
   later start fails with HTTP 500 "cannot pickle '_thread.RLock' object" (moto issue 10077). The upstream fix gives the
   clone an empty executions list; that is not enough here, because a state machine also holds its backend, and through
   it every other state machine's executions. The patch below gives the clone empty executions (its own and its versions')
   and shares the backend instead of copying it. It is applied only when the installed moto has the bug.
3. DynamoDB TransactWriteItems in time independent of the table size. moto 5.2.1 deep-copies every table a transaction
   touches before writing, and on any failed condition swaps the copy back in: a transaction on a 200,000-item table
   costs seconds, and the swap loses writes made meanwhile and replaces the table's stream shard. The patch does what
   DynamoDB does: check every condition first and write nothing if one fails; only a validation error in the middle
   of the writes is undone, item by item (and the stream records those writes made are dropped). A condition is parsed
   once per distinct expression and values (a transaction of 99 moves repeats one), and only an item an Update will
   change in place is copied for that undo (a Put or Delete replaces the item object, so the original is the undo).
4. StopExecution that always stops. moto 5.2.1 wakes waiting states with an event it sets and clears at once, so a Wait
   that begins a moment after a stop never sees it and sleeps its whole time (a recovery window: days); and a stop that
   comes before the execution's worker has entered its first state is dropped. Either way the execution stays RUNNING.
   The patch waits in short slices, ending as soon as the program is no longer running, and holds an early stop until
   the program has begun.
5. ListObjectVersions with a KeyMarker alone. S3 lists the keys after the marker; moto 5.2.1 also drops the first version
   after it (the loop that passes the marker `continue`s on the version where it stops skipping), so a listing that
   starts after a key that does not exist loses one object. The patch turns such a marker into the pair moto handles
   right: the last version at or before the marker, with its version id (or no marker when nothing is before it).
6. DynamoDB writes in time linear in an item's attributes, and transactional updates without moto's expression machinery.
   moto 5.2.1 reads every request body by walking the service model value by value; builds every written item attribute
   by attribute and sums the whole item's size again at each one (quadratic: a 14-attribute item sums 105 sizes); validates every transaction action by parsing its condition and update expression
   before the backend parses both again; and applies an update by building, deep-copying and walking a syntax tree (about
   5 ms per action here, against 0.2 ms for a batch delete). The patch reads TransactWriteItems and BatchWriteItem bodies
   with json.loads and decodes only their AttributeValues' binaries (what the model walk yields for them); builds an item and checks its size once (the same
   400 KB rule: sizes only grow while attributes are added, so the last sum is the largest); validates each distinct
   condition (over the values it names) and update expression once; and applies a transaction's plain updates (SET of
   top-level attributes to a value or if_not_exists(attribute, value), REMOVE of top-level attributes) to the item
   directly, with the same stream record and size check. Any other update, an update of a missing item, or one that names
   an undefined placeholder goes to moto's own code, which reports it as before. These are emulator costs DynamoDB does not
   have; they weighed on Lethe's conditional writes and not on a raw loop's batch deletes.
7. Atomic conditional writes without a global write lock. moto checks a write's condition and then writes, without a lock,
   on a threaded server: two concurrent requests can both pass one condition (measured: 4 jobs for one idempotency key
   under load). DynamoDB makes every conditional write and transaction atomic per item. The patch runs each write request
   (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems) under the locks of the items it names (1,024 lock
   stripes picked by table and key), taken in stripe order so two transactions never wait on each other in a circle; reads
   take no lock. Writes of unrelated items no longer wait on each other (the local cloud's gateway used to send every write
   to moto one at a time, and a read-heavy API waited behind its own audit writes and the chainer's links). PartiQL
   statements are not covered (Lethe sends none).
8. DynamoDB Streams GetRecords in time linear in the records' JSON. moto 5.2.1 answers GetRecords through its generic
   response serializer, which walks the service model value by value: about 1 ms per record here (1,000 records took a
   second, holding the interpreter lock, so every other request waited). Every audit event puts three records on the Audit
   table's stream (the journal insert, its chained mark, the chain link), so the stream cost more than the API calls it
   recorded. The records are already in their wire form (moto builds them with the items' to_json); the patch writes them
   with json.dumps, creation times as epoch seconds, and falls back to moto's serializer for anything json.dumps cannot
   write.
9. DynamoDB reads answered in time linear in their JSON. For the same reason as 8, moto 5.2.1 writes GetItem, Query, Scan
   and BatchGetItem answers value by value through the service model (a page of a thousand audit events took about a
   second). The items are already in wire form (moto's dynamo_to_dict); the patch writes these four answers with json.dumps,
   leaves out members without a value as the serializer does, and falls back to it for anything json.dumps cannot write.
10. Query in time of the partition, not the table. moto 5.2.1 answers every Query page by listing and sorting every item of
   the table (all tenants), then keeping the partition's: a page of one tenant's audit chain cost a sort of the whole Audit
   table, and audit/verify reads the chain page by page. The patch gives a main-table Query the items of its partition
   only, and an index Query every item unsorted (both sort their candidates again themselves); Scan keeps moto's table
   order. Every listing copies the table's dictionaries with list(): moto's Python loop over the live dictionaries raised
   "dictionary changed size during iteration" (a 500) when a write landed meanwhile, which writes running concurrently
   (patch 7) made visible as a rare failed audit/verify.

Usage: python3 moto_launcher.py --port PORT [--host 127.0.0.1]
"""

import argparse
import base64
import copy
import inspect
import os
import re
import sys
import threading
import time



def die_with_parent() -> None:
    parent = os.getppid()

    def watch_stdin() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        os._exit(0)

    def watch_parent() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(0)
            time.sleep(1)

    threading.Thread(target=watch_parent, name="lethe-parent-watch", daemon=True).start()
    threading.Thread(target=watch_stdin, name="lethe-stdin-watch", daemon=True).start()


def has_execution_deepcopy_bug(module) -> bool:
    """True when start_execution deep-copies the whole state machine, executions included (moto <= 5.2.1)."""
    source = inspect.getsource(module.StepFunctionsParserBackend.start_execution)
    return "copy.deepcopy(state_machine)" in source and "memo" not in source


class _DeepcopyWithoutExecutions:
    """Stands in for the copy module inside moto's parser models: the clone of a state machine gets no executions."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        memo = {} if memo is None else memo
        backend = getattr(value, "backend", None)
        if backend is not None:
            memo[id(backend)] = backend
        versions = getattr(value, "versions", None)
        holders = [value, *(versions.values() if isinstance(versions, dict) else [])]
        for holder in holders:
            executions = getattr(holder, "executions", None)
            if isinstance(executions, list):
                memo[id(executions)] = []
        return copy.deepcopy(value, memo)


def patch_stepfunctions() -> str:
    from moto.stepfunctions.parser import models

    if not has_execution_deepcopy_bug(models):
        return "not needed"
    models.copy = _DeepcopyWithoutExecutions()
    return "applied"


_CONDITIONS = {}


_PLACEHOLDER = re.compile(r":[A-Za-z0-9_]+")


def _named_values(expression, values):
    """The expression attribute values an expression names: the rest of a request's values cannot change its meaning."""
    if not values:
        return values
    return {name: values[name] for name in set(_PLACEHOLDER.findall(expression)) if name in values}


def _parsed_condition(condition, names, values):
    """
    The condition parsed once per distinct (expression, names, values it names), shared by the request validation and the
    transaction's evaluation: evaluating it does not change it, and an action's other values (a soft-delete's per-item
    keys) do not make its condition another one.
    """
    from moto.dynamodb.comparisons import create_condition_expression_parser

    named = _named_values(condition, values)
    key = (condition, repr(sorted((names or {}).items())), repr(sorted((named or {}).items())))
    return _once(_CONDITIONS, key, lambda: _ParsedCondition(lambda: create_condition_expression_parser(condition, names, named)))


_SET_CLAUSE = re.compile(r"^\s*(#?[A-Za-z0-9_]+)\s*=\s*(?::([A-Za-z0-9_]+)|if_not_exists\(\s*(#?[A-Za-z0-9_]+)\s*,\s*:([A-Za-z0-9_]+)\s*\))\s*$")
_REMOVE_CLAUSE = re.compile(r"^\s*(#?[A-Za-z0-9_]+)\s*$")
_SECTION = re.compile(r"\b(SET|REMOVE)\b", re.IGNORECASE)
# A comma between clauses, not the one inside if_not_exists( , ).
_CLAUSE_COMMA = re.compile(r",(?![^()]*\))")
_UPDATE_PLANS = {}


def _update_plan(expression):
    """
    A plain update expression as a list of moves: SET of top-level attributes to a value or to if_not_exists(attribute, value),
    and REMOVE of top-level attributes, each section once. Anything else (ADD, DELETE, paths, arithmetic, list functions) is
    None: moto's own parser and executor handle it.
    """
    return _once(_UPDATE_PLANS, expression, lambda: _plan(expression)) or None


def _plan(expression):
    parts = _SECTION.split(expression)
    if parts[0].strip() != "" or len(parts) not in (3, 5):
        return False
    sections = [(parts[i].upper(), parts[i + 1]) for i in range(1, len(parts), 2)]
    if len({name for name, _ in sections}) != len(sections):
        return False
    moves = []
    for name, body in sections:
        for clause in _CLAUSE_COMMA.split(body):
            if name == "SET" and (match := _SET_CLAUSE.match(clause)):
                target, value, source, fallback = match.groups()
                moves.append(("set", target, ":" + value) if value else ("if_not_exists", target, source, ":" + fallback))
            elif name == "REMOVE" and (match := _REMOVE_CLAUSE.match(clause)):
                moves.append(("remove", match.group(1)))
            else:
                # Not plain (False is cached; None would mean "not built yet").
                return False
    return moves


def _reserved_words():
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    return _once(_RESERVED, "words", lambda: frozenset(word.upper() for word in ReservedKeywords.get_reserved_keywords()))


_RESERVED = {}


def _simple_update(table, item, before, op):
    """
    Applies a plain update (see _update_plan) to an existing item the way moto's executor would, without building, copying and
    walking its syntax tree for every item; False (nothing changed) when the update is not plain or names something the
    request does not define, so moto's own update_item runs and reports it.
    """
    from moto.dynamodb.exceptions import ItemSizeToUpdateTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType

    plan = _update_plan(op["UpdateExpression"])
    if plan is None or item is None or before is None:
        return False
    names = op.get("ExpressionAttributeNames") or {}
    values = op.get("ExpressionAttributeValues") or {}
    reserved = _reserved_words()

    def resolve(name):
        # A bare reserved word (SET status = …) is moto's to refuse, as DynamoDB does.
        if name.startswith("#"):
            return names.get(name)
        return None if name.upper() in reserved else name

    keys = {table.hash_key_attr, table.range_key_attr}
    moves = []
    for move in plan:
        target = resolve(move[1])
        if target is None or target in keys:
            return False
        if move[0] == "set":
            if move[2] not in values:
                return False
            moves.append(("set", target, DynamoType(values[move[2]])))
        elif move[0] == "if_not_exists":
            source = resolve(move[2])
            if source is None or move[3] not in values:
                return False
            # Every operand reads the item as it was before the update, as DynamoDB evaluates it.
            current = before.attrs.get(source)
            moves.append(("set", target, copy.deepcopy(current) if current is not None else DynamoType(values[move[3]])))
        else:
            moves.append(("remove", target))
    if len({move[1] for move in moves}) != len(moves):
        return False
    # An index key must keep its declared type and may not be empty: moto's validators refuse that, so its path runs.
    key_types = {definition["AttributeName"]: definition["AttributeType"] for definition in table.attr}
    for move in moves:
        if move[0] == "set" and move[1] in key_types:
            if move[2].type != key_types[move[1]] or (move[2].type in ("S", "B") and not move[2].value):
                return False
    for move in moves:
        # Set in place without moto's per-attribute size sum; the item's size is checked once below.
        if move[0] == "set":
            dict.__setitem__(item.attrs, move[1], move[2])
        else:
            item.attrs.pop(move[1], None)
    if _too_large(item.attrs):
        # The transaction puts the item back as it was before (its undo), as DynamoDB writes nothing of a failed one.
        raise ItemSizeToUpdateTooLarge()
    if table.stream_shard is not None:
        table.stream_shard.add(before, item)
    return True


def _transact_write_items(self, transact_items):
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()

    # Phase 1: every condition, nothing written (the same checks and error list as moto's own implementation).
    seen = set()
    errors = []
    touched = []
    for item in transact_items:
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        original_item = None
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            table = self.get_table(table_name)
            if op_type == "Put":
                attrs = op["Item"]
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in seen:
                raise MultipleTransactionsException()
            seen.add(unique)
            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                condition_op = _parsed_condition(condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")).parse()
                if not condition_op.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            touched.append((op_type, op, table, key, copy.deepcopy(current) if op_type == "Update" else current, current))
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))
        except Exception as e:  # noqa: E722 moto reports any other failure per item as well
            errors.append((type(e).__name__, str(e), original_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    # Phase 2: the writes; conditions were checked above, and nothing else writes these items meanwhile (patch 7 holds the
    # locks of every item the transaction names). Other items may be written concurrently.
    stream_marks = {id(t): (t, len(t.stream_shard.items)) for _, _, t, _, _, _ in touched if t.stream_shard is not None}
    try:
        for op_type, op, table, key, before, current in touched:
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(op["TableName"], op["Item"], expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(op["TableName"], key, expression_attribute_names=names, expression_attribute_values=values)
            elif op_type == "Update":
                # The item phase 1 read: nothing else writes meanwhile, and one transaction names an item once.
                if not _simple_update(table, current, before, op):
                    self.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                                     expression_attribute_names=names, expression_attribute_values=values)
    except Exception:
        for _, _, table, key, before, _ in reversed(touched):
            hash_key, range_key = self.get_keys_value(table, key)
            if range_key is not None:
                bucket = table.items.setdefault(hash_key, {})
                if before is None:
                    bucket.pop(range_key, None)
                else:
                    bucket[range_key] = before
            elif before is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = before
        # Only this transaction's stream records go: concurrent writes of other items appended theirs meanwhile.
        import json

        mine = {}
        for _, _, table, key, _, _ in touched:
            mine.setdefault(id(table), set()).add(json.dumps(key, sort_keys=True))
        for table, length in stream_marks.values():
            ours = mine.get(id(table), set())
            table.stream_shard.items[length:] = [
                r for r in table.stream_shard.items[length:] if json.dumps(r.record["dynamodb"]["Keys"], sort_keys=True) not in ours
            ]
        raise


def patch_dynamodb_transactions() -> str:
    from moto.dynamodb import models

    source = inspect.getsource(models.DynamoDBBackend.transact_write_items)
    if "copy.deepcopy(" not in source:
        return "not needed"
    models.DynamoDBBackend.transact_write_items = _transact_write_items
    return "applied"


_WAIT_SLICE_SECONDS = 0.5
_STOP_GRACE_SECONDS = 5.0


def _wait_interval(self, env, wait_seconds):
    deadline = time.monotonic() + max(wait_seconds, 0)
    while env.is_running():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        env.program_state_event.wait(min(remaining, _WAIT_SLICE_SECONDS))


def _stop_worker(self, stop_date, error, cause):
    # A stop right after the start can come before the worker has built its environment or entered its first state;
    # moto would drop it. Wait (briefly) until the program has begun, then stop it; one that has already ended stays as is.
    deadline = time.monotonic() + _STOP_GRACE_SECONDS
    while time.monotonic() < deadline:
        env = getattr(self, "env", None)
        if env is not None and getattr(env, "_program_state", None) is not None:
            env.set_stop(stop_date=stop_date, cause=cause, error=error)
            return
        time.sleep(0.005)
    raise RuntimeError("The execution did not begin within the stop grace; it cannot be stopped yet.")


def patch_stepfunctions_stop() -> str:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function
    from moto.stepfunctions.parser.backend import execution_worker

    waits = inspect.getsource(wait_function.WaitFunction._wait_interval)
    stops = inspect.getsource(execution_worker.ExecutionWorker.stop)
    if "program_state_event.wait(wait_seconds)" not in waits or "self.env.set_stop(" not in stops:
        return "not needed"
    wait_function.WaitFunction._wait_interval = _wait_interval
    execution_worker.ExecutionWorker.stop = _stop_worker
    return "applied"


def patch_s3_key_marker() -> str:
    from moto.core.utils import unix_time_millis
    from moto.s3 import models

    original = models.S3Backend.list_object_versions
    source = inspect.getsource(original)
    if "skip_versions = version.name < key_marker" not in source:
        return "not needed"

    def list_object_versions(self, bucket_name, delimiter=None, key_marker=None, max_keys=1000, prefix="", version_id_marker=None):
        if key_marker and not version_id_marker and not delimiter:
            bucket = self.get_bucket(bucket_name)
            # The same order moto lists in: name, then newest first (a stable sort over the same iteration).
            before = [version for _, versions in bucket.keys.iterlists() for version in versions if version.name <= key_marker]
            before.sort(key=lambda r: (r.name, -unix_time_millis(r.last_modified)))
            if before:
                key_marker, version_id_marker = before[-1].name, before[-1].version_id
            else:
                key_marker = None
        return original(self, bucket_name, delimiter=delimiter, key_marker=key_marker, max_keys=max_keys, prefix=prefix, version_id_marker=version_id_marker)

    models.S3Backend.list_object_versions = list_object_versions
    return "applied"


def _too_large(attrs):
    """moto's item limit (between DynamoDB's measured 409 and 410 KB), summed once over the whole item."""
    from moto.dynamodb.models.utilities import bytesize

    return sum(bytesize(key) + value.size() for key, value in attrs.items()) > 405000


def _once(cache, key, build):
    """cache[key], built on first use; a cache that grew past 512 entries starts again (a process sees few distinct ones)."""
    value = cache.get(key)
    if value is None:
        if len(cache) > 512:
            cache.clear()
        value = cache[key] = build()
    return value


class _ParsedCondition:
    """
    A condition parsed once, on its first parse() (where moto's handlers expect a bad expression to fail): what moto's
    validation reads from its parser, the tree and the names and values it used. A failed parse is not kept.
    """

    def __init__(self, build):
        self._build = build
        self._parsed = None

    def parse(self):
        if self._parsed is None:
            parser = self._build()
            tree = parser.parse()
            self._parsed = (tree, tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found))
        return self._parsed[0]

    # New lists each time: a caller extends them with the update expression's names and values.
    @property
    def expr_attr_names_found(self):
        self.parse()
        return list(self._parsed[1])

    @property
    def expr_attr_values_found(self):
        self.parse()
        return list(self._parsed[2])


def _attribute_value(value):
    """One DynamoDB AttributeValue from JSON, as moto's model-driven parser returns it: binaries decoded, the rest as sent."""
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("B"), str):
        return {**value, "B": base64.b64decode(value["B"])}
    if isinstance(value.get("BS"), list):
        return {**value, "BS": [base64.b64decode(b) for b in value["BS"]]}
    if isinstance(value.get("M"), dict):
        return {**value, "M": _attribute_map(value["M"])}
    if isinstance(value.get("L"), list):
        return {**value, "L": [_attribute_value(v) for v in value["L"]]}
    return value


def _attribute_map(values):
    return {name: _attribute_value(v) for name, v in values.items()} if isinstance(values, dict) else values


def _with_attribute_maps(structure, names):
    """The structure with its members of the given names (maps of AttributeValue) decoded."""
    if not isinstance(structure, dict):
        return structure
    return {key: _attribute_map(value) if key in names else value for key, value in structure.items()}


_TRANSACT_MAPS = ("Item", "Key", "ExpressionAttributeValues")


def _transact_write_input(body):
    items = body.get("TransactItems")
    if isinstance(items, list):
        body["TransactItems"] = [
            {op: _with_attribute_maps(action, _TRANSACT_MAPS) for op, action in item.items()} if isinstance(item, dict) else item
            for item in items
        ]
    return body


def _batch_write_input(body):
    requests = body.get("RequestItems")
    if isinstance(requests, dict):
        body["RequestItems"] = {
            table: [
                {kind: _with_attribute_maps(request, ("Item", "Key")) for kind, request in write.items()} if isinstance(write, dict) else write
                for write in writes
            ] if isinstance(writes, list) else writes
            for table, writes in requests.items()
        }
    return body


_FAST_INPUTS = {"TransactWriteItemsInput": _transact_write_input, "BatchWriteItemInput": _batch_write_input}


def patch_dynamodb_write_costs() -> str:
    from moto.core import parse
    from moto.dynamodb import responses
    from moto.dynamodb.comparisons import create_condition_expression_parser
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type

    if "for key, value in attrs.items():\n            self.attrs[key] = DynamoType(value)" not in inspect.getsource(dynamo_type.Item.__init__):
        return "not needed"

    def item_init(self, hash_key, range_key, attrs):
        self.hash_key = hash_key
        self.range_key = range_key
        converted = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
        if _too_large(converted):
            raise ItemSizeTooLarge
        self.attrs = dynamo_type.LimitedSizeDict()
        dict.update(self.attrs, converted)

    def condition_parser(expr, names, values):
        return create_condition_expression_parser(expr, names, values) if expr is None else _parsed_condition(expr, names, values)

    update_parser = responses.UpdateExpressionParser
    update_trees = {}

    class UpdateTreeOncePerExpression:
        """The request validation only reads an update expression's tree (for the names and values it uses)."""

        @staticmethod
        def make(expression):
            return _once(update_trees, expression, lambda: update_parser.make(expression))

    json_body = parse.JSONParser._parse_json_body

    def parse_json_body(self, raw_body, shape):
        # The two write-heavy inputs are read with json.loads and only their AttributeValues walked (moto's parser walks
        # the whole model for every value). Only the JSON protocol's DynamoDB shapes carry these names.
        fast = _FAST_INPUTS.get(getattr(shape, "name", None))
        if fast is None or self.MAP_TYPE is not dict:
            return json_body(self, raw_body, shape)
        body = self._parse_body_as_json(raw_body)
        return fast(body) if isinstance(body, dict) and "message" not in body else json_body(self, raw_body, shape)

    parse.JSONParser._parse_json_body = parse_json_body
    dynamo_type.Item.__init__ = item_init
    responses.create_condition_expression_parser = condition_parser
    responses.UpdateExpressionParser = UpdateTreeOncePerExpression
    return "applied"


_ITEM_LOCK_STRIPES = 1024


def patch_dynamodb_write_atomicity() -> str:
    import json

    from moto.dynamodb import responses

    handler = responses.DynamoHandler
    if getattr(handler, "_lethe_item_locks", None) is not None:
        return "applied"
    stripes = [threading.Lock() for _ in range(_ITEM_LOCK_STRIPES)]

    def stripe(self, table_name, attributes):
        # The item's key attributes pick its lock; a table moto does not know (an error to come) locks by its name alone.
        try:
            table = self.dynamodb_backend.get_table(table_name)
            key = [attributes.get(table.hash_key_attr), attributes.get(table.range_key_attr) if table.range_key_attr else None]
        except Exception:  # noqa: BLE001 - moto's own code reports the error when the request runs.
            key = None
        return hash((table_name, json.dumps(key, sort_keys=True, default=str))) % _ITEM_LOCK_STRIPES

    def items_of(body, operation):
        if operation == "transact_write_items":
            for action in body.get("TransactItems") or []:
                for kind, request in action.items():
                    if isinstance(request, dict) and isinstance(request.get("TableName"), str):
                        yield request["TableName"], (request.get("Item") if kind == "Put" else request.get("Key")) or {}
        elif operation == "batch_write_item":
            for table_name, requests in (body.get("RequestItems") or {}).items():
                for request in requests or []:
                    put, delete = request.get("PutRequest") or {}, request.get("DeleteRequest") or {}
                    yield table_name, put.get("Item") or delete.get("Key") or {}
        elif isinstance(body.get("TableName"), str):
            yield body["TableName"], (body.get("Item") if operation == "put_item" else body.get("Key")) or {}

    def atomic(operation, original):
        def run(self, *args, **kwargs):
            body = self.body if isinstance(self.body, dict) else {}
            locks = [stripes[i] for i in sorted({stripe(self, name, attributes) for name, attributes in items_of(body, operation)})]
            for lock in locks:
                lock.acquire()
            try:
                return original(self, *args, **kwargs)
            finally:
                for lock in reversed(locks):
                    lock.release()

        run.__name__ = original.__name__
        run.__wrapped__ = original
        return run

    for operation in ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"):
        setattr(handler, operation, atomic(operation, getattr(handler, operation)))
    handler._lethe_item_locks = stripes
    return "applied"


def patch_dynamodb_streams_get_records() -> str:
    import datetime
    import json

    from moto.core.responses import ActionResult
    from moto.dynamodbstreams import responses

    handler = responses.DynamoDBStreamsHandler
    if getattr(handler.get_records, "_lethe_fast", False):
        return "applied"

    def wire(value):
        if isinstance(value, datetime.datetime):
            # moto's utcnow() is naive UTC: read as local time it would be off by the machine's offset.
            return (value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)).timestamp()
        raise TypeError(type(value).__name__)

    def get_records(self):
        arn = self._get_param("ShardIterator")
        limit = self._get_param("Limit")
        result = self.backend.get_records(arn, 1000 if limit is None else limit)
        try:
            return json.dumps(result, default=wire)
        except TypeError:
            return ActionResult(result)

    get_records._lethe_fast = True
    handler.get_records = get_records
    return "applied"


_FAST_READ_OUTPUTS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem"})


def patch_dynamodb_read_answers() -> str:
    import datetime
    import json

    from moto.dynamodb import responses

    handler = responses.DynamoHandler
    if getattr(handler.serialized, "_lethe_fast", False):
        return "applied"
    original = handler.serialized

    def wire(value):
        if isinstance(value, datetime.datetime):
            # moto's utcnow() is naive UTC: read as local time it would be off by the machine's offset.
            return (value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)).timestamp()
        raise TypeError(type(value).__name__)

    def serialized(self, action_result):
        if isinstance(action_result, responses.DynamoResult) and isinstance(action_result.result, dict) and self._get_action() in _FAST_READ_OUTPUTS:
            try:
                body = json.dumps({k: v for k, v in action_result.result.items() if v is not None}, default=wire)
            except TypeError:
                return original(self, action_result)
            headers = dict(self.response_headers)
            headers["Content-Type"] = "application/x-amz-json-1.0"
            return 200, headers, body
        return original(self, action_result)

    serialized._lethe_fast = True
    handler.serialized = serialized
    return "applied"


def patch_dynamodb_query_partition() -> str:
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_lethe_partition", False):
        return "applied"
    scope = threading.local()
    query = Table.query

    def every_item(self):
        # Copied with list() (one C call each, under the interpreter lock): a Python loop over the live dictionaries raised
        # "dictionary changed size during iteration", a 500, when a write landed meanwhile.
        buckets = list(self.items.values())
        if not self.range_key_attr:
            return buckets
        return [item for bucket in buckets for item in list(bucket.values())]

    def items_in_scope(self):
        current = getattr(scope, "query", None)
        if current is None or current[0] is not self:
            # Scan and the rest: moto's order, as before.
            return sorted(every_item(self), key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
        if current[1] is None:
            # An index query: every item; it sorts its candidates by the index's keys itself.
            return every_item(self)
        bucket = self.items.get(current[1])
        if bucket is None:
            return []
        return list(bucket.values()) if self.range_key_attr else [bucket]

    def partition_query(self, hash_key, *args, **kwargs):
        index_name = kwargs["index_name"] if "index_name" in kwargs else (args[6] if len(args) > 6 else None)
        scope.query = (self, None if index_name or hash_key is None else hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            scope.query = None

    partition_query._lethe_partition = True
    Table.all_items = items_in_scope
    Table.query = partition_query
    return "applied"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    die_with_parent()
    status = patch_stepfunctions()
    transactions = patch_dynamodb_transactions()
    stop = patch_stepfunctions_stop()
    key_marker = patch_s3_key_marker()
    write_costs = patch_dynamodb_write_costs()
    atomic_writes = patch_dynamodb_write_atomicity()
    stream_reads = patch_dynamodb_streams_get_records()
    read_answers = patch_dynamodb_read_answers()
    query_partition = patch_dynamodb_query_partition()
    print(
        f"lethe-moto-launcher: pid={os.getpid()} stepfunctions-patch={status} transactions-patch={transactions} stop-patch={stop}"
        f" key-marker-patch={key_marker} write-costs-patch={write_costs} atomic-writes-patch={atomic_writes}"
        f" stream-reads-patch={stream_reads} read-answers-patch={read_answers} query-partition-patch={query_partition}",
        flush=True,
    )

    from moto.server import main as moto_main

    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    main()
