// The report's stylesheet, inlined into every page so the file opens from disk
// with no other request than its thumbnails. Dense by design: a reviewer scans
// hundreds of clips, so rows are short and numbers tabular.

export const PAGE_CSS = `
:root{--bg:#f4f5f7;--card:#fff;--line:#e1e4e9;--ink:#1b2130;--muted:#667085;--ok:#13773a;--okbg:#dcf5e4;
--warn:#9a5300;--warnbg:#fdf0cf;--bad:#b42323;--badbg:#fde4e4;--train:#1d5fd6;--trainbg:#e3ecfd;--val:#7e3bd0;--valbg:#f0e6fd}
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;color:var(--ink);background:var(--bg)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
a{color:var(--train)}
header.top{background:#121826;color:#e8ecf3;padding:10px 20px;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
header.top h1{font-size:16px;margin:0;font-weight:600}
header.top .sub{color:#9aa4b8;font-size:12px}
header.top .spacer{flex:1}
main{padding:10px 20px 48px;max-width:1680px;margin:0 auto}
h2{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:14px 0 5px}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-weight:600;font-size:11px;letter-spacing:.02em;white-space:nowrap}
.pill.complete,.pill.ok{background:var(--okbg);color:var(--ok)}
.pill.partial,.pill.warn{background:var(--warnbg);color:var(--warn)}
.pill.failed,.pill.missing,.pill.unreadable{background:var(--badbg);color:var(--bad)}
.pill.training{background:var(--trainbg);color:var(--train)}
.pill.validation{background:var(--valbg);color:var(--val)}
.pill.type{background:#eef0f4;color:#2b3345;font-weight:600}
.pill.plain{background:#eef0f4;color:var(--muted)}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(118px,1fr));gap:6px;margin:10px 0}
.stat{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:4px 9px}
.stat b{display:block;font-size:16px;font-weight:600;font-variant-numeric:tabular-nums}
.stat span{color:var(--muted);font-size:11px}
.stat.bad b{color:var(--bad)} .stat.warn b{color:var(--warn)}
.banner{background:var(--badbg);color:var(--bad);border:1px solid #f5b5b5;border-radius:6px;padding:8px 12px;margin:10px 0;font-weight:500}
table{border-collapse:collapse;width:100%;background:var(--card);font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:11px;color:var(--muted);font-weight:600;background:#fafbfc;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}
.box{background:var(--card);border:1px solid var(--line);border-radius:6px;overflow:hidden}
details.box{margin:8px 0}
details.box>summary{padding:7px 10px;cursor:pointer;font-weight:600}
details.box[open]>summary{border-bottom:1px solid var(--line)}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px;align-items:start}
.filters{position:sticky;top:0;z-index:5;background:rgba(244,245,247,.97);padding:8px 0;border-bottom:1px solid var(--line);
display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center}
.group{display:flex;gap:4px;align-items:center;flex-wrap:wrap}
.group>span{color:var(--muted);font-size:11px;margin-right:2px}
.chip{border:1px solid #cfd4dc;background:#fff;border-radius:999px;padding:1px 9px;font:inherit;font-size:12px;cursor:pointer;color:var(--ink)}
.chip:hover{border-color:#8b93a5}
.chip small{color:var(--muted);margin-left:3px}
.chip[aria-pressed=true]{background:var(--ink);color:#fff;border-color:var(--ink)}
.chip[aria-pressed=true] small{color:#c3cad6}
input[type=search]{font:inherit;padding:2px 8px;border:1px solid #cfd4dc;border-radius:5px;width:190px}
#shown{color:var(--muted);margin-left:auto;font-variant-numeric:tabular-nums}
.play{display:grid;grid-template-columns:76px minmax(200px,300px) 1fr;gap:12px;background:var(--card);border:1px solid var(--line);
border-radius:6px;padding:7px 10px;margin:5px 0}
.when b{display:block;font-size:15px;font-variant-numeric:tabular-nums}
.when span{display:block;color:var(--muted);font-size:11px;font-variant-numeric:tabular-nums}
.what .tags{display:flex;gap:4px;flex-wrap:wrap;align-items:center}
.what .id{color:var(--muted);font-size:11px;margin-left:2px;word-break:break-all}
.label{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px;color:#334155;background:#f3f5f8;border-radius:4px;
padding:3px 6px;margin-top:5px;max-height:6.2em;overflow:auto;white-space:pre-wrap;word-break:break-word}
.clips{display:flex;gap:8px;flex-wrap:wrap;align-items:flex-start}
.clip{border:1px solid var(--line);border-radius:5px;padding:4px 5px 5px;background:#fcfcfd}
.clip.failed{border-color:#f2b8b8;background:#fff7f7;min-width:260px}
.clip h3{margin:0 0 4px;font-size:11px;font-weight:600;display:flex;gap:6px;align-items:center}
.clip h3 a{color:inherit;text-decoration:none}
.clip h3 a:hover{text-decoration:underline}
.strip{display:flex;gap:3px}
figure{margin:0;position:relative}
figure img{display:block;height:72px;width:128px;object-fit:cover;border-radius:3px;background:#1b2130}
figcaption{position:absolute;left:2px;bottom:2px;background:rgba(10,14,22,.72);color:#fff;font-size:10px;line-height:14px;padding:0 4px;
border-radius:3px;font-variant-numeric:tabular-nums}
figure.start img{outline:2px solid #f59e0b;outline-offset:-2px}
.meta{color:var(--muted);font-size:11px;margin-top:3px;font-variant-numeric:tabular-nums;white-space:nowrap}
.meta .off{color:var(--warn)}
.reason{color:var(--bad);font-size:12px;max-width:420px;word-break:break-word}
.note{color:var(--muted);font-size:12px}
.empty{padding:30px;text-align:center;color:var(--muted)}
.hidden{display:none!important}
.box.pad{padding:8px}
svg.chart{display:block;width:100%;height:auto;max-width:640px}
pre.card{max-height:none;margin:8px}
svg text{font:11px system-ui,sans-serif;fill:#3b4455}
@media (max-width:900px){.play{grid-template-columns:64px 1fr}.play .clips{grid-column:1/-1}}
`;
