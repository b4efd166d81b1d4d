//! Drive inventory from sysfs and udev data, with a verdict per disk.
