FROM a
RUN x \
  y
	cmd 	["a"]
maintainer me
from  b  as  C
arg  ~
expose
