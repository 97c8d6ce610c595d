// Post the hidden form at once (the deep-linking answer back to the LMS).
document.getElementById("autopost").submit();
