"""Plain view objects the templates print: an operation's method (its signature lines, overloads,
return annotation, docstring) and the paging or streaming helpers beside it. Every choice about what
a method looks like is made here; the templates only lay the views out."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..compiled import DataclassMethods
from ..render.docs import op_doc
from ..render.methods import (
    _OPTIONS_ARG,
    Arg,
    content_type_arg,
    decode_target,
    def_head,
    endpoint_name,
    method_heads,
    op_args,
)
from ..render.text import py_literal

# the methods ``dataclasses`` makes for the classes below, compiled once and kept (``compiled``)
_METHODS = DataclassMethods(__file__)


@dataclass(frozen=True)
class HelperView:
    """A helper beside an operation's method: every item of every page, or the answer streamed."""

    name: str
    head: str  # the ``def`` line, signature and return annotation included
    doc: str
    runtime_call: str  # the runtime method it returns: paginate, follow_links or stream_lines
    skip: tuple[str, ...]  # parameters the helper sets itself (limit and offset)
    extra: tuple[str, ...]  # keyword arguments after the parameters (``page_size=page_size``)
    # how the async class reuses it: an iterator becomes an async iterator, a value an awaitable
    async_factory: str = "async_iterator_method"


@dataclass(frozen=True)
class MethodView:
    op: ir.Operation
    endpoint: str
    sync_heads: tuple[str, ...]  # blank lines, ``@overload`` stubs and the ``def`` line
    async_heads: tuple[str, ...]
    doc: str
    # the caller chooses the answer's media type (``accept=``): the overloads are spelled out again
    # for the async class, which otherwise reuses the sync method
    takes_accept: bool
    # the body may be sent as other media types: the method passes its content_type= on
    chooses_content_type: bool
    helpers: tuple[HelperView, ...]


_METHODS.keep()


def method_view(op: ir.Operation) -> MethodView:
    return MethodView(
        op=op,
        endpoint=endpoint_name(op),
        sync_heads=tuple(method_heads(op, False)),
        async_heads=tuple(method_heads(op, True)),
        doc=op_doc(op),
        takes_accept=len(op.accepts) > 1,
        chooses_content_type=bool(content_type_arg(op)),
        helpers=tuple(_helpers(op)),
    )


def _helpers(op: ir.Operation) -> list[HelperView]:
    helpers = []
    if op.pagination is not None:
        paging = op.pagination
        skip = (paging.limit_param, paging.offset_param)
        args = op_args(op, skip=frozenset(skip))
        item = ir.annotation(paging.item_type, "models.")
        helpers.append(
            HelperView(
                name=paging.iterator_name,
                head=def_head(
                    f"    def {paging.iterator_name}",
                    args,
                    [Arg("page_size", "int", "100", True), _OPTIONS_ARG],
                    f"Iterator[{item}]",
                ),
                doc=f"Every item of ``{op.py_name}``, ``page_size`` per request, until ``{paging.total_field}`` "
                "items were seen or a page is empty (servers cap the page size, so a short page does not end "
                "it). Raises ``PagingError`` if a page adds nothing new.",
                runtime_call="paginate",
                skip=skip,
                extra=("page_size=page_size",),
            )
        )
    if op.link_pagination is not None:
        links = op.link_pagination
        item = ir.annotation(links.item_type, "models.")
        helpers.append(
            HelperView(
                name=links.iterator_name,
                head=def_head(f"    def {links.iterator_name}", op_args(op), [_OPTIONS_ARG], f"Iterator[{item}]"),
                doc=f'Every item of ``{op.py_name}``, following the server\'s ``Link: <...>; rel="next"`` pages.',
                runtime_call="follow_links",
                skip=(),
                extra=(),
            )
        )
    if op.stream is not None and op.stream.kind == "sse":
        stream = op.stream
        event = ir.annotation(stream.event_type, "models.")
        helpers.append(
            HelperView(
                name=stream.method_name,
                head=def_head(
                    f"    def {stream.method_name}", op_args(op), [_OPTIONS_ARG], f"Iterator[ServerSentEvent[{event}]]"
                ),
                doc=f"``{op.py_name}`` streamed ({stream.media_type}): yields each server-sent event as it "
                "arrives (``event``, ``data``, ``id``, ``retry``); ``event.json()`` decodes its data as the "
                "spec says. The server may be quiet between events: the read timeout is the client's "
                "``stream_read_timeout`` (600 s unless set), per call ``RequestOptions(stream_read_timeout=...)``.",
                runtime_call="stream_events",
                skip=(),
                extra=(f"accept={py_literal(stream.media_type)}", f"event_type={decode_target(stream.event_type)}"),
            )
        )
    elif op.stream is not None:
        stream = op.stream
        helpers.append(
            HelperView(
                name=stream.method_name,
                head=def_head(f"    def {stream.method_name}", op_args(op), [_OPTIONS_ARG], "Iterator[Any]"),
                doc=f"``{op.py_name}`` streamed ({stream.media_type}): yields one decoded JSON value per line as the "
                "server sends it. The server may be quiet between lines: the read timeout is the client's "
                "``stream_read_timeout`` (600 s unless set), per call ``RequestOptions(stream_read_timeout=...)``.",
                runtime_call="stream_lines",
                skip=(),
                extra=(f"accept={py_literal(stream.media_type)}",),
            )
        )
    if op.download is not None:
        download = op.download
        args = op_args(op)
        helpers.append(
            HelperView(
                name=download.method_name,
                head=def_head(
                    f"    def {download.method_name}",
                    args,
                    [Arg("destination", "Destination", None, True), _OPTIONS_ARG],
                    "int",
                ),
                doc=f"``{op.py_name}``'s answer ({download.media_type}) written to ``destination`` (a path, or a "
                "binary file open for writing) as it arrives, never held whole in memory; the number of bytes "
                "written. A path is written beside itself and renamed when complete: a failed download leaves "
                "no partial file. No size limit unless ``RequestOptions(max_response_bytes=...)`` sets one.",
                runtime_call="download",
                skip=(),
                extra=("destination=destination", f"accept={py_literal(download.media_type)}"),
                async_factory="awaitable_method",
            )
        )
    return helpers
