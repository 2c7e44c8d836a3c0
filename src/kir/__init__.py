"""kir: the Known Issues Register for GB smart metering Devices and Device Model Combinations."""
