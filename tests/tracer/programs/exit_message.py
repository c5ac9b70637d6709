import sys
print('going')
sys.exit('the message')
