// The console's one script: every <time datetime> in the editor's own locale and time zone,
// with the browser's Intl. Without it, times read in UTC, as the server wrote them.
'use strict';
(function () {
  var format;
  try {
    format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  } catch (e) {
    return;
  }
  var times = document.querySelectorAll('time[datetime]');
  for (var i = 0; i < times.length; i++) {
    var when = new Date(times[i].getAttribute('datetime'));
    if (!isNaN(when)) {
      times[i].title = times[i].textContent;
      times[i].textContent = format.format(when);
    }
  }
})();
