/** The webmail stylesheet, served at /webmail/assets/style.css (no inline styles anywhere: CSP). */
export const STYLE_CSS = `
:root{--bg:#f6f7f9;--panel:#fff;--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0b57d0;--accent-ink:#fff;
--unread:#0b57d0;--star:#b26b00;--danger:#b3261e;--sel:#e8f0fe;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
*{box-sizing:border-box}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
html,body{margin:0;background:var(--bg);color:var(--ink);font-size:15px;line-height:1.45}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #f2b705;outline-offset:1px}
.skip-link{position:absolute;left:-999px}.skip-link:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:10}
.topbar{display:flex;align-items:center;gap:16px;padding:8px 16px;background:#1f2937;color:#fff;flex-wrap:wrap}
.topbar a{color:#e5e7eb;text-decoration:none}.topbar .brand{font-weight:700;font-size:18px;color:#fff}
.topnav{display:flex;gap:12px;flex-wrap:wrap}.topnav a.active{color:#fff;border-bottom:2px solid #93c5fd}
.account{margin-left:auto;display:flex;align-items:center;gap:10px}.current-user{color:#f3f4f6;font-size:14px}
.logout-form{margin:0}.logout-form button{background:transparent;color:#e5e7eb;border:1px solid #6b7280;border-radius:4px;padding:3px 8px;cursor:pointer}
.layout{display:flex;min-height:calc(100vh - 48px)}
.sidebar{width:220px;flex:none;background:var(--panel);border-right:1px solid var(--line);padding:12px}
.button,button{display:inline-block;font:inherit;padding:6px 12px;border:1px solid var(--line);border-radius:6px;background:#fff;color:var(--ink);cursor:pointer;text-decoration:none}
.button.primary,button.primary,.compose-button{background:var(--accent);border-color:var(--accent);color:var(--accent-ink)}
.compose-button{display:block;text-align:center;margin-bottom:12px;font-weight:600}
.folder-list,.side-links{list-style:none;margin:0;padding:0}
.folder-item a{display:flex;justify-content:space-between;padding:5px 8px;border-radius:6px;color:var(--ink);text-decoration:none}
.folder-item[data-depth="1"] a{padding-left:20px}.folder-item[data-depth="2"] a{padding-left:32px}
.folder-item.active a{background:var(--sel);font-weight:600}.folder-item a:hover{background:#eef1f4}
.count{margin-left:6px;font-size:12px;color:var(--unread);font-weight:600}.count.zero{visibility:hidden}
.new-mail-folder{display:flex;gap:4px;margin-top:8px}.new-mail-folder input{min-width:0;flex:1;padding:3px 6px;border:1px solid var(--line);border-radius:6px}.new-mail-folder button{padding:3px 8px}
.side-links{margin-top:16px;border-top:1px solid var(--line);padding-top:8px}.side-links a{display:block;padding:4px 8px;color:var(--muted)}
.content{flex:1;min-width:0;padding:16px;background:var(--panel)}
.notice{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px}
.form-error{color:var(--danger);font-weight:600}
h1,h2{margin:0 0 10px}h1{font-size:22px}h2{font-size:19px}
.list-head{display:flex;align-items:center;gap:12px;flex-wrap:wrap;margin-bottom:8px}
.search-form{display:flex;gap:6px;margin-left:auto}.search-form input{padding:5px 8px;border:1px solid var(--line);border-radius:6px}
.bulk-bar{display:none;gap:8px;align-items:center;padding:6px 8px;background:var(--sel);border-radius:6px;margin-bottom:8px;flex-wrap:wrap}
.message-list:has(input.row-check:checked) .bulk-bar{display:flex}
.bulk-bar form{display:flex;gap:6px;align-items:center;margin:0;flex-wrap:wrap}
table.messages{width:100%;border-collapse:collapse;table-layout:fixed}
.message-row td{padding:7px 6px;border-bottom:1px solid #eaeef2;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.message-row:hover{background:#f6f8fa}.message-row:has(input.row-check:checked){background:var(--sel)}
.message-row.unread .message-from,.message-row.unread .message-subject{font-weight:700}
.col-check{width:34px}.col-star{width:30px;color:#8c959f}.col-star.flagged{color:var(--star)}.col-from{width:26%}.col-date{width:108px;text-align:right;color:var(--muted)}
.col-subject a{color:var(--ink);text-decoration:none;display:block;overflow:hidden;text-overflow:ellipsis}
.message-preview{color:var(--muted);font-weight:400}
.has-attachment{font-size:11px;border:1px solid var(--line);border-radius:4px;padding:0 4px;color:var(--muted);font-weight:400}
.page-info{color:var(--muted);font-size:14px}.pagination{display:flex;gap:8px;margin-top:10px}
.pagination a,.pagination span{padding:4px 10px;border:1px solid var(--line);border-radius:6px;text-decoration:none}
.pagination span{color:#aab}
.empty{color:var(--muted);padding:24px;text-align:center}
.msg-toolbar{display:flex;gap:8px;flex-wrap:wrap;align-items:center;margin-bottom:12px}
.msg-toolbar form{display:flex;gap:6px;margin:0}
.msg-header{border-bottom:1px solid var(--line);padding-bottom:10px;margin-bottom:12px}
.msg-meta div{color:var(--muted);font-size:14px}.msg-meta .label{display:inline-block;min-width:48px;font-weight:600}
.msg-body{overflow-wrap:anywhere;max-width:100%;overflow-x:auto}.msg-body img{max-width:100%;height:auto}
.msg-text{white-space:pre-wrap;font-family:inherit;margin:0}
.remote-notice{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:6px;margin-bottom:10px}
.attachments{margin-top:16px;border-top:1px solid var(--line);padding-top:8px;display:flex;flex-direction:column;gap:4px}
.compose-form{display:grid;gap:8px;max-width:860px}
.compose-form label{font-weight:600;font-size:14px}
.compose-form input[type=text],.compose-form textarea,.login-box input,.login-box select{width:100%;padding:7px 9px;border:1px solid var(--line);border-radius:6px;font:inherit}
.compose-form textarea{min-height:300px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px}
.compose-actions{display:flex;gap:8px}
.login-box{max-width:360px;margin:8vh auto;background:#fff;border:1px solid var(--line);border-radius:10px;padding:24px}
.login-box form{display:grid;gap:8px}.login-box button{margin-top:8px}
.bare-content{background:transparent}
.error-page{max-width:560px;margin:8vh auto;background:#fff;border:1px solid var(--line);border-radius:10px;padding:24px}
.docs{max-width:860px}.docs pre{background:#f6f8fa;padding:10px;overflow-x:auto;border-radius:6px}
.docs table{border-collapse:collapse}.docs td,.docs th{border:1px solid var(--line);padding:4px 8px}
.docs-index li{margin:4px 0}
.cal-toolbar{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:10px}.cal-toolbar h1{margin:0 8px 0 0}
.cal-nav,.cal-views{display:flex;gap:4px}.cal-nav a,.cal-views a{padding:4px 10px;border:1px solid var(--line);border-radius:6px;text-decoration:none}
.cal-views a.active{background:var(--sel);font-weight:600}.cal-new{margin-left:auto}
table.cal-grid.month{width:100%;border-collapse:collapse;table-layout:fixed}
.cal-grid.month th{font-size:13px;color:var(--muted);padding:4px}
.cal-grid.month td{vertical-align:top;height:96px;border:1px solid #e5e7eb;padding:3px;overflow:hidden}
.cal-day.other-month{background:#f9fafb;color:#9ca3af}.cal-day.today .day-link{background:var(--accent);color:#fff;border-radius:10px;padding:0 6px}
.day-link{text-decoration:none;color:inherit;font-size:13px}
.day-events{list-style:none;margin:2px 0 0;padding:0;display:grid;gap:2px}
.cal-event{display:block;font-size:12px;background:#e8f0fe;border-left:3px solid var(--accent);border-radius:4px;padding:1px 4px;color:var(--ink);text-decoration:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.cal-event.all-day{background:#d3e3fd}.cal-time{color:var(--muted)}
.cal-grid.week{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:6px}
.cal-grid.day{display:block}.cal-grid.week .cal-day,.cal-grid.day .cal-day{border:1px solid #e5e7eb;border-radius:6px;padding:6px;min-height:160px}
.cal-day-head{font-size:14px;margin:0 0 4px}.cal-empty{color:var(--muted);font-size:13px}
.agenda-list{list-style:none;padding:0}.agenda-day h2{font-size:15px;border-bottom:1px solid var(--line);padding-bottom:2px}
.agenda-day ul{list-style:none;padding:0;display:grid;gap:4px}.cal-location{color:var(--muted);font-size:13px}
.cal-calendars{margin-top:14px;border-top:1px solid var(--line);padding-top:8px}.cal-calendars h3{font-size:14px;margin:0 0 4px}
.cal-list{list-style:none;margin:0;padding:0}.cal-row form{margin:0}.cal-toggle{border:0;background:none;padding:3px 4px;text-align:left;width:100%}
.cal-row[data-visible="false"] .cal-toggle{color:var(--muted)}
.event-detail dl{display:grid;grid-template-columns:110px 1fr;gap:4px 10px}.event-detail dt{font-weight:600;color:var(--muted)}.event-detail dd{margin:0}
.event-actions,.rsvp-form{display:flex;gap:8px;align-items:center;margin-top:12px;flex-wrap:wrap}.event-actions form{margin:0}
.attendees{padding-left:18px}.partstat{font-size:12px;color:var(--muted)}
label.inline{display:flex;gap:6px;align-items:center;font-weight:400}
.drive-breadcrumb{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin-bottom:10px;font-size:15px}.drive-breadcrumb .sep{color:var(--muted)}
.drive-toolbar{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:12px;padding:8px;background:#f6f8fa;border-radius:8px}
.drive-toolbar form{display:flex;gap:6px;align-items:center;margin:0;flex-wrap:wrap}.drive-toolbar label{font-size:14px;font-weight:600;display:flex;gap:6px;align-items:center}
.drive-toolbar input[type=file]{font-size:13px;max-width:220px}.drive-toolbar input[type=text]{padding:4px 6px;border:1px solid var(--line);border-radius:6px}
.drive-grid:has(input.row-check:checked) .bulk-bar{display:flex}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.tile-wrap{position:relative;border:1px solid var(--line);border-radius:10px;background:#fff}
.tile-wrap:has(input.row-check:checked){background:var(--sel);border-color:var(--accent)}
.tile{display:flex;flex-direction:column;align-items:center;gap:4px;padding:18px 8px 10px;text-decoration:none;color:var(--ink);text-align:center}
.tile-icon{display:flex;align-items:center;justify-content:center;width:56px;height:56px;border-radius:10px;font-weight:700;font-size:14px;color:#fff;background:#6b7280}
.icon-folder .tile-icon{background:#d4a72c}.icon-photo .tile-icon{background:#1a7f37}.icon-audio .tile-icon{background:#8250df}
.icon-video .tile-icon{background:#cf222e}.icon-archive .tile-icon{background:#9a6700}.icon-document .tile-icon{background:#0b57d0}.icon-code .tile-icon{background:#24292f}
.tile-name{font-weight:600;overflow-wrap:anywhere;font-size:14px}.tile-meta{font-size:12px;color:var(--muted)}
.tile-check{position:absolute;top:6px;left:6px}.tile-actions{position:absolute;top:2px;right:2px;display:flex;gap:2px}
.tile-actions a,.tile-actions button{border:0;background:none;padding:2px 5px;font-size:15px;line-height:1;text-decoration:none;cursor:pointer;color:var(--muted)}
.tile-delete:hover{color:var(--danger)}
.drive-stats{color:var(--muted);font-size:14px;margin-top:12px}
.share-list{list-style:none;padding:0;display:grid;gap:10px}.share-row{border:1px solid var(--line);border-radius:8px;padding:8px;display:grid;gap:6px}
.share-url{width:100%;padding:4px 6px;border:1px solid var(--line);border-radius:6px;font-family:ui-monospace,monospace;font-size:13px}
.perm-badge{display:inline-block;min-width:20px;text-align:center;border-radius:4px;background:#ddf4ff;color:#0b57d0;font-size:12px;font-weight:700;margin-right:2px}
.share-revoke{margin:0}.perms{border:1px solid var(--line);border-radius:6px;display:flex;gap:12px;flex-wrap:wrap}
.shared-view .topbar .shared-by{color:#e5e7eb;font-size:14px}
.confirm-delete{max-width:560px;margin:6vh auto;background:#fff;border:1px solid var(--line);border-radius:10px;padding:24px}
@media (max-width:720px){
 .new-mail-folder{display:none}
 .section-calendar .folders,.section-drive .folders,.section-calendar .compose-button,.section-drive .compose-button{display:none}
 .tiles{grid-template-columns:repeat(2,minmax(0,1fr))}.drive-toolbar input[type=file]{max-width:100%}
 .cal-grid.week{grid-template-columns:1fr}.cal-grid.month td{height:64px;padding:1px}.cal-event{font-size:10px;padding:0 2px}.cal-time{display:none}
 .cal-new{margin-left:0}
 .layout{flex-direction:column}
 .sidebar{width:auto;border-right:0;border-bottom:1px solid var(--line);padding:8px}
 .folder-list{display:flex;gap:4px;overflow-x:auto}.folder-item a{white-space:nowrap}
 .side-links{display:flex;gap:8px;margin-top:6px;padding-top:6px;overflow-x:auto}
 .compose-button{display:inline-block;margin:0 0 6px}
 .col-from{width:30%}.message-row td.col-date{width:86px;font-size:12px;padding:7px 2px}.col-date{width:86px}.col-star{width:28px}.col-check{width:30px}
 .message-preview{display:none}
 .content{padding:10px}.topbar{gap:8px;padding:6px 10px}.account{margin-left:0}
 .search-form{margin-left:0;width:100%}.search-form input{flex:1}
}
`;
