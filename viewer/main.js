// Starts the viewer once every panel has registered.
"use strict";
window.viewer.startViewer();
